"""Hooks of the search: arch-step schedule, genotype export (and its
history), drop path, architecture distance and early stop, search cost."""
from .arch_step_schedule_hook import ArchStepScheduleHook
from .distance_hooks import ArchDistanceHook, DistanceEarlyStopHook
from .drop_path_hook import DropPathHook
from .genotype_export_hook import GenotypeExportHook
from .search_cost_hook import SearchCostHook
from .search_history import HISTORY_FILE, SearchHistoryError, load_history

__all__ = [
    'ArchStepScheduleHook', 'ArchDistanceHook', 'DistanceEarlyStopHook',
    'DropPathHook', 'GenotypeExportHook', 'SearchCostHook', 'HISTORY_FILE',
    'SearchHistoryError', 'load_history'
]
