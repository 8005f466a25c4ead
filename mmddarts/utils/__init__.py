"""Leaf helpers (checkpoint loading, config edits, devices, distributed
setup): they import nothing else of mmddarts, so every layer may use them."""
from .checkpoint import (load_from_local_allowlisted,
                         register_checkpoint_loader, trust_checkpoint)
from .dist_utils import init_cpu_dist_if_needed

__all__ = [
    'load_from_local_allowlisted', 'register_checkpoint_loader',
    'trust_checkpoint', 'init_cpu_dist_if_needed'
]
