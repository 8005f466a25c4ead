# Filled by the modules of this package.
from .search_loop import SearchEpochBasedTrainLoop  # noqa: F401
from .epoch_worker_seeder import EpochWorkerSeeder, derive_seed  # noqa: F401
