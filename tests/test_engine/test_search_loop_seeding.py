"""Random draws of the search loop's loaders: per epoch, per loader, and
replayed by a resume (one worker process per loader, tiny data)."""
import logging
import os.path as osp
import random

import numpy as np
import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

from mmddarts.engine.loops.epoch_worker_seeder import (EpochWorkerSeeder,
                                                       derive_seed)
from mmddarts.utils import register_checkpoint_loader

ITERS = 2  # 8 samples, batch 4


class AugDS(Dataset):
    """What a random crop / flip sees: one draw from each global RNG."""
    metainfo = {}

    def __init__(self, offset):
        self.offset = offset

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return dict(idx=self.offset + i, np=float(np.random.rand()),
                    torch=float(torch.rand(())), py=random.random())

    def full_init(self):
        pass


class Recorder(BaseModel):
    """Records every (weights, arch) batch it is given."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))
        self.seen = []

    def train_step(self, data, optim_wrapper):
        self.seen.append({k: {f: v.tolist() for f, v in b.items()}
                          for k, b in data.items()})
        return dict(loss=self.w.sum().detach())

    def forward(self, *args, **kwargs):
        raise NotImplementedError


def loader(offset, persistent=False):
    return dict(batch_size=4, num_workers=1, persistent_workers=persistent,
                sampler=dict(type='DefaultSampler', shuffle=True),
                collate_fn=dict(type='default_collate'),
                dataset=AugDS(offset))


_N = [0]


def make_runner(work_dir, max_epochs, persistent=False, **kwargs):
    _N[0] += 1
    kwargs.setdefault('randomness', dict(seed=3))
    return Runner(
        model=Recorder(), work_dir=str(work_dir),
        experiment_name=f'loop_seed_{_N[0]}_{id(work_dir)}',
        train_dataloader=loader(0, persistent),
        train_cfg=dict(type='mmddarts.SearchEpochBasedTrainLoop',
                       max_epochs=max_epochs,
                       arch_dataloader=loader(100, persistent)),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook',
                                           interval=1),
                           logger=dict(type='LoggerHook', interval=100)),
        **kwargs)


def epochs(seen):
    return [seen[i:i + ITERS] for i in range(0, len(seen), ITERS)]


@pytest.fixture(scope='module')
def uninterrupted(tmp_path_factory):
    work = tmp_path_factory.mktemp('loop_seed')
    runner = make_runner(work, 3)
    runner.train()
    return work, epochs(runner.model.seen)


def draws(batch):
    return batch['np'] + batch['torch'] + batch['py']


def test_every_epoch_draws_new_augmentations(uninterrupted):
    _, eps = uninterrupted
    assert len(eps) == 3
    for half in ('weights', 'arch'):
        per_epoch = [sorted(v for b in ep for v in draws(b[half]))
                     for ep in eps]
        # mmengine's worker seeding alone gives one worker the same
        # stream every epoch: identical draws, only reordered samples
        assert len({tuple(d) for d in per_epoch}) == 3, half


def test_halves_do_not_share_order_or_draws(uninterrupted):
    _, eps = uninterrupted
    for ep in eps:
        w = [i for b in ep for i in b['weights']['idx']]
        a = [i - 100 for b in ep for i in b['arch']['idx']]
        assert sorted(w) == sorted(a) == list(range(8))
        assert w != a  # equal-length halves shuffled alike before
        for b in ep:  # batch k of each half
            assert not set(draws(b['weights'])) & set(draws(b['arch']))


def test_resume_replays_order_and_augmentations(uninterrupted, tmp_path):
    work, eps = uninterrupted
    register_checkpoint_loader()  # torch>=2.6 weights_only + mmengine 0.10.7
    resumed = make_runner(tmp_path, 3, resume=True,
                          load_from=osp.join(str(work), 'epoch_1.pth'))
    resumed.train()
    assert epochs(resumed.model.seen) == eps[1:]


def test_persistent_workers_warn(tmp_path):
    runner = make_runner(tmp_path, 1, persistent=True)
    handler_records = []

    class Catch(logging.Handler):

        def emit(self, record):
            handler_records.append(record.getMessage())

    logger = MMLogger.get_current_instance()
    h = Catch(level=logging.WARNING)
    logger.addHandler(h)
    try:
        runner.build_train_loop(runner._train_loop)
    finally:
        logger.removeHandler(h)
    assert any('persistent_workers=True' in m for m in handler_records)


def test_seeder_keys():
    s = EpochWorkerSeeder(seed=0, stream=0, rank=0)
    base = s.worker_seeds(0)
    assert s.worker_seeds(1) != base
    s.epoch = 1
    assert s.worker_seeds(0) != base
    s.epoch, s.pass_idx = 0, 1
    assert s.worker_seeds(0) != base
    assert EpochWorkerSeeder(0, 1, 0).worker_seeds(0) != base
    assert EpochWorkerSeeder(0, 0, 1).worker_seeds(0) != base
    assert EpochWorkerSeeder(0, 0, 0).worker_seeds(0) == base
    assert derive_seed(0, 1) != derive_seed(1, 0)
    assert 0 <= derive_seed(5, 1) < 2**31


def test_search_configs_recreate_workers():
    """Every shipped search config: loaders with workers re-create them
    each epoch, so the loop can re-seed them (reproducible resume)."""
    import glob
    from mmengine.config import Config
    repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    files = sorted(glob.glob(osp.join(repo, 'configs', 'search', '*.py')))
    assert files
    for f in files:
        cfg = Config.fromfile(f)
        for key in ('train_dataloader', 'arch_dataloader'):
            dl = cfg[key]
            if dl.get('num_workers', 0) > 0:
                assert dl.get('persistent_workers') is False, (f, key)


def test_resume_replays_with_a_random_seed(tmp_path_factory):
    """randomness.seed=None: the resumed run draws a new seed, then mmengine
    swaps in the checkpoint's one after the loop (and its loaders) exist."""
    work = tmp_path_factory.mktemp('loop_seed_none')
    first = make_runner(work, 3, randomness=dict(seed=None))
    first.train()
    eps = epochs(first.model.seen)
    register_checkpoint_loader()
    resumed = make_runner(tmp_path_factory.mktemp('loop_seed_none_r'), 3,
                          randomness=dict(seed=None), resume=True,
                          load_from=osp.join(str(work), 'epoch_1.pth'))
    resumed.train()
    assert resumed.seed == first.seed
    assert epochs(resumed.model.seen) == eps[1:]
