"""Wall-clock accounting of a search's steps (read by ``SearchCostHook``).

:class:`StepTimer` adds up the seconds spent in named parts of an iteration
(``preprocess``, ``arch``, ``weights`` in :class:`DDartsSearch.train_step`;
``data``, ``iter``, ``epoch_hooks`` in the search loop) and the images each
step processed. On CUDA a timed part (``sync=True``) is measured with CUDA
events recorded on the current stream before and after it, so the
asynchronous kernels are billed to the part that launched them without
making the host wait: the events are only read (``elapsed_time``) when
:attr:`StepTimer.seconds` is, e.g. once per epoch by the hook, or when more
than :attr:`StepTimer.max_pending` of them have piled up (completed ones are
collected without waiting). Elsewhere the host clock measures the part. A
disabled timer (``NULL_TIMER``, the default) times nothing.
"""
import time
from collections import defaultdict
from contextlib import contextmanager

import torch


def _cuda_active():
    return torch.cuda.is_available() and torch.cuda.is_initialized()


class StepTimer:
    """Seconds and image counts per named part.

    Args:
        enabled (bool): time at all (``False``: :meth:`time` is a no-op).
        sync_cuda (bool): time ``sync=True`` parts with CUDA events when
            CUDA is in use (device time, no host synchronisation); False:
            the host clock only (kernels still queued at the end of a part
            are billed to whatever waits for them next).
    """
    # read pending events (waiting for the oldest) beyond this many
    max_pending = 4096

    def __init__(self, enabled=True, sync_cuda=True):
        self.enabled = enabled
        self.sync_cuda = sync_cuda
        self._seconds = defaultdict(float)
        self.images = defaultdict(int)
        self._pending = []  # (key, start event, end event), oldest first
        # seams for tests without a GPU
        self.device_active = _cuda_active
        self.event_factory = lambda: torch.cuda.Event(enable_timing=True)

    @property
    def seconds(self):
        """Seconds per part (reads every pending CUDA event)."""
        self._collect(wait=True)
        return self._seconds

    def _collect(self, wait):
        while self._pending:
            key, start, end = self._pending[0]
            if not wait and not end.query():
                return
            end.synchronize()
            self._seconds[key] += start.elapsed_time(end) / 1000.0
            self._pending.pop(0)

    @contextmanager
    def time(self, key, images=0, sync=True):
        """Add the duration of the ``with`` body to ``seconds[key]`` and
        ``images`` to ``images[key]``."""
        if not self.enabled:
            yield
            return
        if sync and self.sync_cuda and self.device_active():
            start = self.event_factory()
            start.record()
            try:
                yield
            finally:
                end = self.event_factory()
                end.record()
                self._pending.append((key, start, end))
                self.images[key] += int(images)
                if len(self._pending) > self.max_pending:
                    self._collect(wait=False)
                    if len(self._pending) > self.max_pending:
                        self._collect(wait=True)
            return
        start = time.perf_counter()
        try:
            yield
        finally:
            self._seconds[key] += time.perf_counter() - start
            self.images[key] += int(images)

    def timed_iter(self, iterable, key):
        """Yield from ``iterable``, billing each ``next`` to ``key`` (data
        loading: host clock)."""
        it = iter(iterable)
        while True:
            with self.time(key, sync=False):
                try:
                    item = next(it)
                except StopIteration:
                    return
            yield item


NULL_TIMER = StepTimer(enabled=False)
