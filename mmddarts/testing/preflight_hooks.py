"""Test doubles for the tools/train.py preflight tests, imported by the toy
configs through ``custom_imports`` (not a test module)."""
import json
import os.path as osp

from mmengine.hooks import Hook

from mmddarts.registry import HOOKS


@HOOKS.register_module(force=True)
class InjectMemoryErrorHook(Hook):
    """Makes the model's ``train_step`` raise ``MemoryError`` at the 1-based
    global iteration ``at_iter``, as an allocation failure inside the step
    would."""

    def __init__(self, at_iter):
        self.at_iter = at_iter

    def before_train(self, runner):
        model = runner.model
        step = model.train_step

        def failing_step(*args, **kwargs):
            if runner.iter + 1 == self.at_iter:
                raise MemoryError('injected by InjectMemoryErrorHook')
            return step(*args, **kwargs)

        model.train_step = failing_step


@HOOKS.register_module(force=True)
class RecordLoaderBatchHook(Hook):
    """Writes, per rank, both search loaders' batch sizes and every
    optimizer's initial lr (JSON) before training."""
    priority = 'LOWEST'

    def __init__(self, out_dir):
        self.out_dir = out_dir

    def before_train_epoch(self, runner):
        from mmengine.dist import get_rank
        loop = runner.train_loop
        rec = dict(
            rank=get_rank(), weights_batch=loop.dataloader.batch_size,
            arch_batch=loop.arch_dataloader.batch_size,
            initial_lr={k: w.optimizer.param_groups[0]['initial_lr']
                        for k, w in runner.optim_wrapper.items()})
        path = osp.join(self.out_dir, f'rank{get_rank()}.json')
        with open(path, 'w') as f:
            json.dump(rec, f)
