# Filled by the modules of this package.
from .drop_path_hook import DropPathHook  # noqa: F401
from .arch_step_schedule_hook import ArchStepScheduleHook  # noqa: F401
from .genotype_export_hook import GenotypeExportHook  # noqa: F401
from .distance_hooks import ArchDistanceHook, DistanceEarlyStopHook  # noqa: F401
from .search_cost_hook import SearchCostHook  # noqa: F401
