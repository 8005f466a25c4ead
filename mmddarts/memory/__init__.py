"""Memory planning for search runs: what a device may still give
(:mod:`.budget`), what one search iteration needs (:mod:`.estimate`), the
fixes to suggest (:mod:`.advice`), the check before training
(:mod:`.preflight`) and the report after an out-of-memory error
(:mod:`.oom_guard`)."""
from .advice import format_fixes, memory_fixes
from .budget import device_budget, fmt_bytes, parse_size
from .estimate import MemoryFit, estimate_search_memory, measure_search_peaks
from .oom_guard import oom_guard
from .preflight import add_preflight_args, run_preflight

__all__ = [
    'format_fixes', 'memory_fixes', 'device_budget', 'fmt_bytes',
    'parse_size', 'MemoryFit', 'estimate_search_memory',
    'measure_search_peaks', 'oom_guard', 'add_preflight_args', 'run_preflight'
]
