"""The two-loader search loop and its per-epoch worker seeding."""
from .epoch_worker_seeder import EpochWorkerSeeder, derive_seed
from .search_loop import SearchEpochBasedTrainLoop

__all__ = ['EpochWorkerSeeder', 'derive_seed', 'SearchEpochBasedTrainLoop']
