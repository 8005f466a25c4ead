"""Shared pieces of the end-to-end search tests (not a test module).

Tiny searches on generated CIFAR-format files: the training split halved by
``SplitDataset`` (``BATCH`` 5 -> 4 iterations per epoch at 40 images),
8x8 images, one intra-op thread.
"""
import itertools
import json
import os

import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmddarts.registry import HOOKS
from mmddarts.setup_env import register_all_modules

BATCH = 5  # 20 images per half: 4 iterations per epoch
_RUN_IDS = itertools.count()

TINY_PIPELINE = (
    dict(type='mmpretrain.Resize', scale=(8, 8)),
    dict(type='mmpretrain.PackInputs'),
)


def tiny_cifar(data_root, split='train'):
    """Generated CIFAR-10 files resized to 8x8."""
    return dict(type='mmddarts.CIFAR10', data_root=data_root, split=split,
                check_md5=False, pipeline=[dict(t) for t in TINY_PIPELINE])


def split_loader(data_root, part, batch_size=BATCH):
    """One half of the training split, reshuffled every epoch."""
    return dict(
        batch_size=batch_size, num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=True),
        dataset=dict(type='mmddarts.SplitDataset',
                     dataset=tiny_cifar(data_root), portion=0.5, part=part,
                     seed=0))


def val_loader(data_root, batch_size=8):
    """The test split, in order."""
    return dict(
        batch_size=batch_size, num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=tiny_cifar(data_root, 'test'))


def experiment_name(prefix):
    """Unique per run: mmengine keys its logger / message hub instances by
    experiment name, and two runners may start in the same second."""
    return f'{prefix}_{next(_RUN_IDS)}_{os.getpid()}'


def run_train(cfg):
    """Build a Runner from ``cfg`` and train, on one intra-op thread (tiny
    tensors: more threads only add overhead)."""
    register_all_modules(init_default_scope=False)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        runner = Runner.from_cfg(cfg)
        runner.train()
    finally:
        torch.set_num_threads(threads)
    return runner


@HOOKS.register_module(force=True)
class RecordLRHook(Hook):
    """Records every optimizer's lr at the start of every epoch (JSONL)."""
    priority = 'LOWEST'

    def __init__(self, out):
        self.out = out

    def before_train_epoch(self, runner):
        lrs = {k: w.get_lr()['lr'][0]
               for k, w in runner.optim_wrapper.items()}
        with open(self.out, 'a') as f:
            f.write(json.dumps(dict(epoch=runner.epoch, **lrs)) + '\n')
