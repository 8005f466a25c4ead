"""Epoch-based loop feeding a search two batches per iteration.

Each iteration yields ``dict(weights=batch_w, arch=batch_a)``: ``batch_w`` from
``train_dataloader`` (the half that trains the network weights) and
``batch_a`` from ``arch_dataloader`` (the half that trains the alphas). An
epoch is one pass over ``train_dataloader``; the arch loader is restarted if
it is shorter.

Resume: every epoch starts by re-seeding python/numpy/torch from
``runner.seed + epoch`` (mmengine's checkpoints hold no RNG state, and the
validation epoch in between would shift it anyway). Data order comes from the
samplers' ``seed + epoch`` and the split from the dataset's seed, so a search
resumed at an epoch boundary replays exactly what the uninterrupted one did.
"""
import logging
from typing import Dict, Optional, Union

from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop
from mmengine.runner.utils import set_random_seed
from torch.utils.data import DataLoader

from mmddarts.registry import LOOPS


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
            (see the module docstring). Defaults to True.
        **kwargs: ``val_begin``, ``val_interval``, ``dynamic_intervals``.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 max_epochs: int,
                 arch_dataloader: Optional[Union[DataLoader, Dict]] = None,
                 reseed_each_epoch: bool = True,
                 **kwargs):
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
            diff_rank_seed = runner._randomness_cfg.get(
                'diff_rank_seed', False)
            arch_dataloader = runner.build_dataloader(
                arch_dataloader, seed=runner.seed,
                diff_rank_seed=diff_rank_seed)
        self.arch_dataloader = arch_dataloader
        self.reseed_each_epoch = reseed_each_epoch
        if len(self.arch_dataloader) < len(self.dataloader):
            print_log(
                f'arch_dataloader has {len(self.arch_dataloader)} batches per '
                f'epoch, train_dataloader {len(self.dataloader)}: the arch '
                'loader restarts within an epoch', logger='current',
                level=logging.WARNING)

    def _set_epoch(self, loader, epoch):
        for obj in (getattr(loader, 'sampler', None),
                    getattr(loader, 'batch_sampler', None)):
            if obj is not None and hasattr(obj, 'set_epoch'):
                obj.set_epoch(epoch)
                return

    def _arch_batches(self):
        """Endless arch batches; restarts (same epoch order) when short."""
        while True:
            yielded = False
            for batch in self.arch_dataloader:
                yielded = True
                yield batch
            if not yielded:
                raise RuntimeError('arch_dataloader is empty')

    def run_epoch(self) -> None:
        if self.reseed_each_epoch:
            diff_rank_seed = self.runner._randomness_cfg.get(
                'diff_rank_seed', False)
            set_random_seed(
                self.runner.seed + self._epoch, diff_rank_seed=diff_rank_seed)
        # DistSamplerSeedHook only seeds train_dataloader's sampler.
        self._set_epoch(self.dataloader, self._epoch)
        self._set_epoch(self.arch_dataloader, self._epoch)
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        arch_batches = self._arch_batches()
        for idx, data_w in enumerate(self.dataloader):
            data = dict(weights=data_w, arch=next(arch_batches))
            self.run_iter(idx, data)
        arch_batches.close()
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1
