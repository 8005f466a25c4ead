"""Wall-clock accounting of a search's steps (read by ``SearchCostHook``).

:class:`StepTimer` adds up the seconds spent in named parts of an iteration
(``preprocess``, ``arch``, ``weights`` in :class:`DDartsSearch.train_step`;
``data``, ``iter``, ``epoch_hooks`` in the search loop) and the images each
step processed. On CUDA the device is synchronised before and after a timed
part, otherwise asynchronous kernels would be billed to whatever part waits
for them next; the search steps end with host reads anyway, so this costs
little. A disabled timer (``NULL_TIMER``, the default) times nothing.
"""
import time
from collections import defaultdict
from contextlib import contextmanager

import torch


def _sync():
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize()


class StepTimer:
    """Seconds and image counts per named part.

    Args:
        enabled (bool): time at all (``False``: :meth:`time` is a no-op).
        sync_cuda (bool): synchronise CUDA around timed parts.
    """

    def __init__(self, enabled=True, sync_cuda=True):
        self.enabled = enabled
        self.sync_cuda = sync_cuda
        self.seconds = defaultdict(float)
        self.images = defaultdict(int)

    @contextmanager
    def time(self, key, images=0, sync=True):
        """Add the duration of the ``with`` body to ``seconds[key]`` and
        ``images`` to ``images[key]``."""
        if not self.enabled:
            yield
            return
        if sync and self.sync_cuda:
            _sync()
        start = time.perf_counter()
        try:
            yield
        finally:
            if sync and self.sync_cuda:
                _sync()
            self.seconds[key] += time.perf_counter() - start
            self.images[key] += int(images)

    def timed_iter(self, iterable, key):
        """Yield from ``iterable``, billing each ``next`` to ``key`` (data
        loading: no device synchronisation)."""
        it = iter(iterable)
        while True:
            with self.time(key, sync=False):
                try:
                    item = next(it)
                except StopIteration:
                    return
            yield item


NULL_TIMER = StepTimer(enabled=False)
