"""Epoch-based loop feeding a search two batches per iteration.

Each iteration yields ``dict(weights=batch_w, arch=batch_a)``: ``batch_w`` from
``train_dataloader`` (the half that trains the network weights) and
``batch_a`` from ``arch_dataloader`` (the half that trains the alphas). An
epoch is one pass over ``train_dataloader``; the arch loader is restarted if
it is shorter.

Resume: every epoch starts by re-seeding python/numpy/torch from
``runner.seed + epoch`` (mmengine's checkpoints hold no RNG state, and the
validation epoch in between would shift it anyway). Data order comes from the
samplers' ``seed + epoch`` and the split from the dataset's seed. Loader
worker processes are seeded by :class:`EpochWorkerSeeder` from (seed, loader,
epoch, rank, worker id) when they start, which they do every epoch with
``persistent_workers=False`` (what the search configs set): a search resumed
at an epoch boundary then replays exactly the order and the augmentation
draws of the uninterrupted one. Persistent workers keep their RNG streams
across epochs, so their draws cannot be replayed (the loop warns).

The two loaders never share random draws: the arch loader's sampler seed is
derived from ``runner.seed`` (``derive_seed(seed, 1)``), so halves of equal
length are not shuffled in the same order, and its workers use another
seed stream.
"""
import logging
from functools import partial
from typing import Dict, Optional, Union

from mmengine.dataset import worker_init_fn as default_worker_init_fn
from mmengine.dist import get_rank
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop
from mmengine.runner.utils import set_random_seed
from torch.utils.data import DataLoader

from mmddarts.models.algorithms.batch_transfer import loader_pin_memory
from mmddarts.models.algorithms.step_timer import NULL_TIMER
from mmddarts.registry import LOOPS
from .epoch_worker_seeder import EpochWorkerSeeder, derive_seed
from .runner_compile import adopt_runner_compile

WEIGHTS_STREAM, ARCH_STREAM = 0, 1


@LOOPS.register_module()
class SearchEpochBasedTrainLoop(EpochBasedTrainLoop):
    """``EpochBasedTrainLoop`` over (weights batch, arch batch) pairs.

    Args:
        runner: the runner.
        dataloader (DataLoader | dict): the weights' loader
            (``train_dataloader``).
        arch_dataloader (DataLoader | dict, optional): the alphas' loader.
            Defaults to the config's top-level ``arch_dataloader``.
        max_epochs (int): search epochs.
        reseed_each_epoch (bool): re-seed the global RNGs at each epoch start
            and the loaders' workers from the epoch (see the module
            docstring). Defaults to True.
        **kwargs: ``val_begin``, ``val_interval``, ``dynamic_intervals``.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 max_epochs: int,
                 arch_dataloader: Optional[Union[DataLoader, Dict]] = None,
                 reseed_each_epoch: bool = True,
                 **kwargs):
        # pinned batches on CUDA: DDartsSearch copies them without blocking
        dataloader = loader_pin_memory(dataloader)
        super().__init__(runner, dataloader, max_epochs, **kwargs)
        if arch_dataloader is None:
            cfg = getattr(runner, 'cfg', None) or {}
            arch_dataloader = cfg.get('arch_dataloader', None)
        if arch_dataloader is None:
            raise ValueError(
                'SearchEpochBasedTrainLoop needs an arch_dataloader (the half '
                'of the data that trains the alphas): pass it in train_cfg or '
                'define a top-level arch_dataloader in the config')
        if isinstance(arch_dataloader, dict):
            arch_dataloader = loader_pin_memory(arch_dataloader)
            diff_rank_seed = runner._randomness_cfg.get(
                'diff_rank_seed', False)
            # its own seed: with runner.seed both halves would be shuffled
            # alike (sample k of each at the same position every epoch)
            arch_dataloader = runner.build_dataloader(
                arch_dataloader, seed=derive_seed(runner.seed, ARCH_STREAM),
                diff_rank_seed=diff_rank_seed)
        self.arch_dataloader = arch_dataloader
        self.reseed_each_epoch = reseed_each_epoch
        # data loading / iteration / epoch-hook seconds (SearchCostHook)
        self.step_timer = NULL_TIMER
        self._seeders = []
        if reseed_each_epoch:
            for name, loader, stream in (
                    ('train_dataloader', self.dataloader, WEIGHTS_STREAM),
                    ('arch_dataloader', self.arch_dataloader, ARCH_STREAM)):
                seeder = self._install_seeder(name, loader, stream)
                if seeder is not None:
                    self._seeders.append((loader, seeder))
        if len(self.arch_dataloader) < len(self.dataloader):
            print_log(
                f'arch_dataloader has {len(self.arch_dataloader)} batches per '
                f'epoch, train_dataloader {len(self.dataloader)}: the arch '
                'loader restarts within an epoch', logger='current',
                level=logging.WARNING)

    def _install_seeder(self, name, loader, stream):
        """Replace mmengine's epoch-blind worker seeding of ``loader``."""
        if getattr(loader, 'num_workers', 0) == 0:
            return None  # loads in this process, re-seeded every epoch
        fn = loader.worker_init_fn
        default = isinstance(fn, partial) and \
            fn.func is default_worker_init_fn
        if fn is not None and not default:
            print_log(
                f'{name} has its own worker_init_fn ({fn}): kept, so its '
                'workers are not re-seeded per epoch by the search loop',
                logger='current', level=logging.WARNING)
            return None
        if loader.persistent_workers:
            print_log(
                f'{name} uses persistent_workers=True: its workers keep their '
                'random streams across epochs, so a resumed search will not '
                'replay the augmentations of the uninterrupted one; set '
                'persistent_workers=False for reproducible searches',
                logger='current', level=logging.WARNING)
        quiet = bool(default and fn.keywords.get('disable_subprocess_warning'))
        seeder = EpochWorkerSeeder(self.runner.seed, stream, get_rank(),
                                   disable_subprocess_warning=quiet)
        loader.worker_init_fn = seeder  # read when workers start
        return seeder

    def _set_epoch(self, loader, epoch):
        for obj in (getattr(loader, 'sampler', None),
                    getattr(loader, 'batch_sampler', None)):
            if obj is not None and hasattr(obj, 'set_epoch'):
                obj.set_epoch(epoch)
                return

    def _arch_batches(self):
        """Endless arch batches; restarts (same epoch order, new worker
        draws) when short."""
        seeder = next((s for loader, s in self._seeders
                       if loader is self.arch_dataloader), None)
        while True:
            yielded = False
            for batch in self.arch_dataloader:
                yielded = True
                yield batch
            if not yielded:
                raise RuntimeError('arch_dataloader is empty')
            if seeder is not None:
                seeder.pass_idx += 1

    def _sync_seeds(self):
        """Point the samplers and worker seeders at ``runner.seed`` now.

        The loop (and its loaders) is built before ``Runner.resume`` swaps
        in the checkpoint's seed, which differs from the new run's one when
        ``randomness.seed`` is None; without this the resumed run would mix
        both seeds and not replay the uninterrupted one.
        """
        seed = int(self.runner.seed)
        for _, seeder in self._seeders:
            seeder.seed = seed
        if self.runner._randomness_cfg.get('diff_rank_seed', False):
            return  # mmengine gives the samplers a rank-synchronised seed
        for loader, sampler_seed in (
                (self.dataloader, seed),
                (self.arch_dataloader, derive_seed(seed, ARCH_STREAM))):
            sampler = getattr(loader, 'sampler', None)
            if sampler is not None and hasattr(sampler, 'seed'):
                sampler.seed = sampler_seed

    def run(self):
        # cfg.compile: compile the supernet's cells, not train_step
        adopt_runner_compile(self.runner)
        return super().run()

    def run_epoch(self) -> None:
        if self.reseed_each_epoch:
            self._sync_seeds()
            diff_rank_seed = self.runner._randomness_cfg.get(
                'diff_rank_seed', False)
            set_random_seed(
                self.runner.seed + self._epoch, diff_rank_seed=diff_rank_seed)
        # DistSamplerSeedHook only seeds train_dataloader's sampler.
        self._set_epoch(self.dataloader, self._epoch)
        self._set_epoch(self.arch_dataloader, self._epoch)
        for _, seeder in self._seeders:
            seeder.epoch, seeder.pass_idx = self._epoch, 0
        timer = self.step_timer
        with timer.time('epoch_hooks', sync=False):
            self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        arch_batches = self._arch_batches()
        for idx, data_w in enumerate(timer.timed_iter(self.dataloader,
                                                      'data')):
            with timer.time('data', sync=False):
                data = dict(weights=data_w, arch=next(arch_batches))
            with timer.time('iter', sync=False):
                self.run_iter(idx, data)
        arch_batches.close()
        with timer.time('epoch_hooks', sync=False):
            self.runner.call_hook('after_train_epoch')
        self._epoch += 1
