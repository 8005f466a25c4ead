"""Keep freed host memory in the process for reuse (CPU runs, glibc).

torch's CPU tensors come from ``malloc``. glibc serves a block larger than
its mmap threshold (128 KiB, growing up to 32 MiB with the largest block
freed) with a fresh ``mmap`` and returns it to the OS on ``free``; the next
block of that size is mapped again and every page of it faults on first
touch (the kernel zeroes it). A search step allocates and frees the same
large tensors every iteration (batched ablations, stacked candidates: tens
to hundreds of MiB each at batch 32), so on a CPU a large share of its time
went to page faults: measured at batch 32 (8 cells, C=16, one thread),
24.5 M minor faults and 62 s of system time in three exact architecture
steps. PyTorch's CPU performance guide recommends an allocator that keeps
freed memory (jemalloc, tcmalloc via ``LD_PRELOAD``); this does the same
with glibc's own knobs, from inside the process:

- ``M_MMAP_MAX = 0``: no block is served by ``mmap``; all come from the heap
  and go back to it on ``free``, where the next request reuses them;
- ``M_TRIM_THRESHOLD`` at its maximum: the heap's free top is not returned
  to the OS after each step (it would be faulted in again at the next);
- ``M_TOP_PAD`` 64 MiB: the heap grows in larger steps.

The process' resident memory then stays at its high-water mark, as a CUDA
caching allocator's reserved memory does. GPU runs are left alone (their
tensors do not come from malloc). ``MMDDARTS_MALLOC=default`` turns it off.
"""
import ctypes
import os
import sys

ENV = 'MMDDARTS_MALLOC'
# glibc's mallopt parameters (malloc.h)
M_TRIM_THRESHOLD = -1
M_TOP_PAD = -2
M_MMAP_MAX = -4
_INT_MAX = 2**31 - 1


def keep_freed_memory(environ=None):
    """Set glibc's allocator to keep freed blocks for reuse (see the module
    docstring). Returns True when applied; False where it does not apply
    (not Linux/glibc) or ``MMDDARTS_MALLOC`` is ``default``/``off``."""
    env = os.environ if environ is None else environ
    choice = env.get(ENV, 'keep').strip().lower()
    if choice in ('default', 'off', '0', 'no', 'false'):
        return False
    if choice not in ('keep', '1', 'yes', 'true', ''):
        raise ValueError(f'{ENV}={env[ENV]!r}: expected "keep" or "default"')
    if not sys.platform.startswith('linux'):
        return False
    try:
        libc = ctypes.CDLL('libc.so.6')
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, ...)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return all(mallopt(param, value) == 1 for param, value in (
        (M_MMAP_MAX, 0), (M_TRIM_THRESHOLD, _INT_MAX),
        (M_TOP_PAD, 64 << 20)))


def keep_freed_memory_on_cpu():
    """:func:`keep_freed_memory` unless torch sees a GPU (a GPU run's
    tensors do not come from malloc). Returns whether it was applied."""
    import torch
    if torch.cuda.is_available():
        return False
    return keep_freed_memory()
