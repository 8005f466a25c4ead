"""Peak live tensor memory of a piece of code, on any device.

On a GPU ``torch.cuda.max_memory_allocated`` gives the peak of the bytes
held by live tensors. A CPU has no such counter, and a process' resident
set size (RSS) is a poor stand-in: glibc keeps freed blocks mapped (its
mmap threshold grows with the largest block freed), so RSS after a large
graph was freed still counts it, and the peak depends on the order in
which differently sized blocks were requested.

:class:`LiveMemory` is the CPU analogue of the CUDA counter: a
``TorchDispatchMode`` that sees every tensor an aten op returns (forward,
backward and optimizer alike), counts the bytes of each new storage once
(views share their base's storage) and subtracts them when the storage is
freed (a ``weakref.finalize`` on the storage; torch keeps one Python
object per live storage). ``peak`` is the largest sum reached, relative to
what was live when the mode was entered: the same quantity as
``max_memory_allocated() - memory_allocated()`` at the start, without the
caching allocator's block rounding.

Not seen: storages created outside aten ops (``torch.from_numpy``, a
DataLoader's collate in another process) and memory that is not tensor
storage (autograd's graph nodes, Python objects); they are small in a
search step.
"""
import weakref

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten


class LiveMemory(TorchDispatchMode):
    """Track the bytes of tensor storages created inside the mode.

    Example::

        with LiveMemory() as mem:
            step()
        print(mem.peak / 2**20, 'MiB')
    """

    def __init__(self):
        super().__init__()
        self.current = 0
        self.peak = 0
        self._seen = set()

    def _free(self, key, nbytes):
        self._seen.discard(key)
        self.current -= nbytes

    @staticmethod
    def _storage(t):
        try:
            return t.untyped_storage()
        except (NotImplementedError, RuntimeError):
            return None  # sparse or functional wrappers: no plain storage

    def _track(self, st):
        key = id(st)
        if key in self._seen:
            return
        nbytes = st.nbytes()
        self._seen.add(key)
        self.current += nbytes
        if self.current > self.peak:
            self.peak = self.current
        weakref.finalize(st, self._free, key, nbytes)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        # in-place, out= and view results reuse an input's storage: not new
        # (and a storage from before the mode must never be subtracted)
        inputs = {id(st) for t in tree_flatten((args, kwargs))[0]
                  if isinstance(t, torch.Tensor)
                  for st in [self._storage(t)] if st is not None}
        out = func(*args, **kwargs)
        for t in tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor) and t.device.type != 'meta':
                st = self._storage(t)
                if st is not None and id(st) not in inputs:
                    self._track(st)
        return out

    def reset_peak(self):
        """Start a new peak from what is live now."""
        self.peak = self.current
