"""Per-epoch seeds for the data loader's worker processes.

mmengine's ``default_worker_init_fn`` seeds worker ``k`` of rank ``r`` with
``seed + num_workers * r + k``, whatever the epoch. With workers re-created
every epoch (``persistent_workers=False``) every epoch then replays the same
augmentation draws; with persistent workers the draws of epoch ``e`` depend
on every epoch run before it in the same process, so a ``--resume`` cannot
replay them. :class:`EpochWorkerSeeder` seeds python / numpy / torch in each
worker from ``(seed, stream, epoch, pass, rank, worker id)``: the loop sets
``epoch`` (and ``pass_idx`` for a loader restarted within an epoch) before
it creates the iterator, whose fresh workers then read them.
"""
import random
import warnings

import numpy as np
import torch


def derive_seed(*keys):
    """A 31-bit seed from integer ``keys`` (numpy's ``SeedSequence``: keys
    that differ in any position give unrelated seeds, unlike ``seed + k``
    sums, where ``(seed, epoch + 1)`` and ``(seed + 1, epoch)`` collide)."""
    state = np.random.SeedSequence([int(k) for k in keys]).generate_state(1)
    return int(state[0]) & 0x7FFFFFFF


class EpochWorkerSeeder:
    """``worker_init_fn`` seeding each worker from the current epoch.

    Args:
        seed (int): the run's seed (``runner.seed``).
        stream (int): tells loaders of one run apart (0: the weights'
            loader, 1: the alphas'), so their workers draw different
            augmentations.
        rank (int): the process rank.
        disable_subprocess_warning (bool): silence warnings in every worker
            but the first (as mmengine's ``default_worker_init_fn``).
    """

    def __init__(self, seed, stream, rank, disable_subprocess_warning=False):
        self.seed = int(seed)
        self.stream = int(stream)
        self.rank = int(rank)
        self.disable_subprocess_warning = disable_subprocess_warning
        self.epoch = 0
        self.pass_idx = 0

    def worker_seeds(self, worker_id):
        """The (python, numpy, torch) seeds of worker ``worker_id``."""
        ss = np.random.SeedSequence([
            self.seed, self.stream, self.epoch, self.pass_idx, self.rank,
            int(worker_id)
        ])
        py, nps, th = (int(s) for s in ss.generate_state(3))
        return py, nps, th

    def __call__(self, worker_id):
        py, nps, th = self.worker_seeds(worker_id)
        random.seed(py)
        np.random.seed(nps)
        torch.manual_seed(th)
        if self.disable_subprocess_warning and worker_id != 0:
            warnings.simplefilter('ignore')

    def __repr__(self):
        return (f'{type(self).__name__}(seed={self.seed}, '
                f'stream={self.stream}, rank={self.rank}, '
                f'epoch={self.epoch}, pass_idx={self.pass_idx})')
