# Filled by the modules of this package.
from .search_loop import SearchEpochBasedTrainLoop  # noqa: F401
