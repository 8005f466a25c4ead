"""Turns the architecture step of a search on and off.

DARTOpti's "pretraining epochs" train the weights only (``warmup_epochs=5``);
``interval`` updates the alphas every ``interval`` iterations after that. The
switch is recomputed from the iteration counter before every iteration, so it
survives resume without being checkpointed.
"""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmddarts.registry import HOOKS


@HOOKS.register_module()
class ArchStepScheduleHook(Hook):
    """Sets ``model.arch_update`` before each training iteration.

    Args:
        warmup_epochs (int): epochs (from 0) with weight steps only.
        interval (int): after the warm-up, one architecture step every
            ``interval`` iterations (counted from the end of the warm-up).
    """
    priority = 'NORMAL'

    def __init__(self, warmup_epochs=0, interval=1):
        if warmup_epochs < 0 or interval < 1:
            raise ValueError(
                'ArchStepScheduleHook: need warmup_epochs >= 0 and '
                f'interval >= 1, got {warmup_epochs} and {interval}')
        self.warmup_epochs = int(warmup_epochs)
        self.interval = int(interval)

    def arch_update(self, epoch, iter_in_run, iters_per_epoch):
        """Whether iteration ``iter_in_run`` (global, from 0) of epoch
        ``epoch`` runs an architecture step."""
        if epoch < self.warmup_epochs:
            return False
        since = iter_in_run - self.warmup_epochs * iters_per_epoch
        return since % self.interval == 0

    def before_train(self, runner):
        max_epochs = getattr(runner, 'max_epochs', None)
        if isinstance(max_epochs, int) and max_epochs <= self.warmup_epochs:
            from mmengine.logging import print_log
            import logging
            print_log(
                f'ArchStepScheduleHook: max_epochs={max_epochs} <= '
                f'warmup_epochs={self.warmup_epochs} (the weight-only '
                'pretraining epochs): this run makes NO architecture step '
                'and its genotypes are the initial (baseline) ones. Raise '
                'train_cfg.max_epochs above the pretraining epochs',
                logger='current', level=logging.WARNING)

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        if not hasattr(model, 'arch_update'):
            raise AttributeError(
                f'ArchStepScheduleHook: {type(model).__name__} has no '
                'arch_update switch; use mmddarts.DDartsSearch')
        model.arch_update = self.arch_update(
            runner.epoch, runner.iter, len(runner.train_dataloader))
