"""Helpers shared by the test suite: toy supernets and configs, search
batches, simulated and subprocess (CPU/gloo) ranks, the exact second-order
oracle, loading ``tools/`` scripts in-process. Some need a source checkout
(they read ``configs/`` or run ``tools/``). Import the module you need:
:mod:`.search_runs` and :mod:`.preflight_hooks` register test hooks."""

__all__ = []
