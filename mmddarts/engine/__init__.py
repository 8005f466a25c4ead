"""Hooks, loops and optimizer wrappers of the search (importing the
subpackages registers them), and the Runner set-up of ``tools/train.py``."""
from . import hooks, loops, optimizers

__all__ = ['hooks', 'loops', 'optimizers']
