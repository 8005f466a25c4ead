"""SearchCostHook through mmengine's Runner on the shipped digits search
config (shrunk: 3 cells, C=4, 48 training images, batch 8, 1 epoch), a
resumed search continuing the totals, and a 2-process gloo search whose
peak memory is the max over ranks.

Checked against independent measurements: image counts from the split
sizes, step seconds against timers wrapped around ``arch_step`` /
``weight_step`` by the test, wall time against a clock around
``runner.train()``, peak RSS against ``getrusage`` read by each rank.
"""
import json
import os.path as osp
import resource
import sys
import time

import pytest
import torch

pytest.importorskip('mmpretrain')

from mmengine.config import Config  # noqa: E402
from mmengine.hooks import Hook  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mmddarts.registry import HOOKS  # noqa: E402
from mmddarts.setup_env import register_all_modules  # noqa: E402

from mmddarts.testing.cpu_ranks import run_cpu_ranks  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
from mmddarts.testing.search_runs import experiment_name  # noqa: E402
from mmddarts.utils.dist_utils import shutdown_process_group  # noqa: E402

N_TRAIN = 48  # digits training images used: two halves of 24
HALF = N_TRAIN // 2
BATCH = 8


def digits_cfg(work, max_epochs=1, batch=BATCH):
    cfg = Config.fromfile(osp.join(REPO, 'configs/search/ddarts_digits.py'))
    cfg.work_dir = work
    cfg.experiment_name = experiment_name('cost')
    cfg.model.architecture.update(channels=4, num_cells=3, steps=2)
    cfg.train_cfg.max_epochs = max_epochs
    for key in ('train_dataloader', 'arch_dataloader'):
        cfg[key].batch_size = batch
        cfg[key].dataset.dataset.indices = N_TRAIN
    cfg.val_dataloader.dataset.indices = 16
    cfg.val_dataloader.batch_size = 8
    cfg.test_dataloader = cfg.val_dataloader
    cfg.log_level = 'WARNING'
    for hook in cfg.custom_hooks:
        if hook.type == 'mmddarts.GenotypeExportHook':
            hook.draw = False
    return cfg


class _StepClock:
    """Times DDartsSearch.arch_step / weight_step from outside."""

    def __init__(self, monkeypatch):
        from mmddarts.models.algorithms import DDartsSearch
        self.seconds = dict(arch_step=0., weight_step=0.)
        for name in self.seconds:
            orig = getattr(DDartsSearch, name)
            monkeypatch.setattr(DDartsSearch, name, self._wrap(name, orig))

    def _wrap(self, name, orig):
        def timed(model, *args, **kwargs):
            t = time.perf_counter()
            try:
                return orig(model, *args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - t
        return timed


def train(cfg):
    register_all_modules(init_default_scope=False)
    runner = Runner.from_cfg(cfg)
    t = time.perf_counter()
    runner.train()
    return runner, time.perf_counter() - t


def read(work):
    with open(osp.join(work, 'search_cost.json')) as f:
        return json.load(f)


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_search_configs_have_the_hook():
    import glob
    for path in sorted(glob.glob(osp.join(REPO, 'configs/search/*.py'))):
        cfg = Config.fromfile(path)
        types = [h['type'] for h in cfg.custom_hooks]
        assert 'mmddarts.SearchCostHook' in types, path


def test_one_epoch_digits_search(tmp_path, monkeypatch):
    clock = _StepClock(monkeypatch)
    work = str(tmp_path / 'work')
    rss_before = rss_mb()
    cfg = digits_cfg(work)
    # the config's 'reference' costs less
    cfg.model.arch_strategy.ablation = 'exact'
    runner, outer = train(cfg)
    r = read(work)
    assert r['final'] is True
    assert r['world_size'] == 1 and r['device_type'] == 'cpu'
    assert sum(r['devices'].values()) == 1
    # every image of each half went through its step once
    assert r['images'] == dict(weight_step=HALF, arch_step=HALF)
    # steps: the test's own clocks, plus the hook's tiny bookkeeping
    for k in ('arch_step', 'weight_step'):
        got, ref = r['time_split_s'][k], clock.seconds[k]
        assert ref <= got <= ref * 1.05 + 0.05, (k, got, ref)
    split = r['time_split_s']
    assert set(split) == {'data', 'arch_step', 'weight_step', 'validation',
                          'hooks', 'other'}
    assert split['data'] > 0 and split['validation'] > 0
    assert split['hooks'] > 0  # checkpoint, genotype export, logging
    wall = r['wall_time_s']
    assert clock.seconds['arch_step'] + clock.seconds['weight_step'] < wall
    assert wall <= outer
    assert sum(split.values()) == pytest.approx(wall, rel=1e-6)
    assert r['device_hours'] == pytest.approx(wall / 3600)
    assert r['gpu_days'] == pytest.approx(wall / 86400)
    assert r['images_per_s']['weight_step'] == pytest.approx(
        HALF / split['weight_step'])
    assert r['images_per_s']['arch_step'] == pytest.approx(
        HALF / split['arch_step'])
    assert r['ablation_overhead'] == pytest.approx(
        split['arch_step'] / split['weight_step'])
    # the exact ablation gradient costs several passes: arch > weight step
    assert r['ablation_overhead'] > 1
    assert r['peak_memory_kind'] == 'peak RSS'
    assert rss_before <= r['peak_memory_mb'] <= rss_mb()
    assert r['epochs_run'] == 1 and r['max_epochs'] == 1
    assert r['early_stop_epoch'] is None and r['sessions'] == 1


def test_table_lists_every_figure():
    from mmddarts.engine.hooks.search_cost_hook import format_table
    r = dict(wall_time_s=7200., world_size=2, devices={'GPU X': 2},
             device_hours=4., gpu_days=4 / 24,
             images_per_s=dict(weight_step=100., arch_step=None),
             time_split_s=dict(data=720., arch_step=3600., weight_step=1800.,
                               validation=360., hooks=360., other=360.),
             peak_memory_kind='cuda max_memory_allocated',
             peak_memory_mb=1024., ablation_overhead=2., epochs_run=3,
             max_epochs=50, early_stop_epoch=3, sessions=1)
    table = format_table(r)
    for text in ('7200.0 s (2.000 h)', '2 x GPU X', '4.0000 h / 0.16667 d',
                 'arch_step', '3600.00 s (50.0%)', '1024.0 MiB', '2.00',
                 '3 of 50', 'early stop epoch', '| -'):
        assert text in table, (text, table)


@HOOKS.register_module(force=True)
class _CostStopAfterEpochHook(Hook):
    """An interruption after ``epoch`` epochs (its checkpoint is kept)."""

    def __init__(self, epoch):
        self.epoch = epoch

    def after_train_epoch(self, runner):
        if runner.epoch + 1 >= self.epoch:
            runner.train_loop.stop_training = True


def test_resume_continues_the_totals(tmp_path):
    from mmddarts.utils.checkpoint import register_checkpoint_loader
    register_checkpoint_loader()
    work = str(tmp_path / 'work')
    cfg = digits_cfg(work, max_epochs=2)
    cfg.custom_hooks.append(dict(type='_CostStopAfterEpochHook', epoch=1))
    train(cfg)
    first = read(work)
    assert first['epochs_run'] == 1 and first['images']['weight_step'] == HALF
    ckpt = torch.load(osp.join(work, 'epoch_1.pth'), map_location='cpu',
                      weights_only=False)
    saved = ckpt['search_cost']
    assert saved['epochs_run'] == 1
    cfg = digits_cfg(work, max_epochs=2)
    cfg.resume = True
    cfg.load_from = osp.join(work, 'epoch_1.pth')
    _, outer = train(cfg)
    r = read(work)
    assert r['sessions'] == 2 and r['epochs_run'] == 2
    assert r['images'] == dict(weight_step=2 * HALF, arch_step=2 * HALF)
    assert saved['wall_time_s'] < r['wall_time_s'] <= \
        saved['wall_time_s'] + outer
    for k, v in saved['time_split_s'].items():
        assert r['time_split_s'][k] >= v, k


# ------------------------------------------------------------ two ranks
BUMP_MB = 1024  # extra resident memory of rank 1


def test_two_gloo_ranks_report_the_max(tmp_path):
    run_cpu_ranks(lambda rank: [sys.executable, osp.abspath(__file__),
                                '--ddp-worker', str(tmp_path)],
                  2, REPO, REPO, timeout=300)
    r = read(str(tmp_path / 'work'))
    own = [json.load(open(tmp_path / f'rss{k}.json')) for k in range(2)]
    assert r['world_size'] == 2 and sum(r['devices'].values()) == 2
    per_rank = r['peak_memory_per_rank_mb']
    assert len(per_rank) == 2
    for k in range(2):  # each rank's own getrusage brackets its entry
        assert own[k]['before'] <= per_rank[k] <= own[k]['after']
    # rank 1 holds BUMP_MB more: the report is its peak, not rank 0's
    assert own[1]['before'] > own[0]['after'], own
    assert r['peak_memory_mb'] == max(per_rank) == per_rank[1]
    # both ranks' halves of each half were counted
    assert r['images'] == dict(weight_step=HALF, arch_step=HALF)
    assert r['device_hours'] == pytest.approx(2 * r['wall_time_s'] / 3600)


def _ddp_worker(out_dir):
    import numpy as np
    import torch.distributed as dist
    dist.init_process_group('gloo')
    torch.set_num_threads(1)
    rank = dist.get_rank()
    keep = None
    if rank == 1:
        keep = np.ones(BUMP_MB * 2**20 // 8)  # touched: resident
    before = rss_mb()
    cfg = digits_cfg(osp.join(out_dir, 'work'), batch=BATCH // 2)
    cfg.launcher = 'pytorch'
    cfg.env_cfg.dist_cfg = dict(backend='gloo')
    train(cfg)
    with open(osp.join(out_dir, f'rss{rank}.json'), 'w') as f:
        json.dump(dict(before=before, after=rss_mb()), f)
    del keep
    shutdown_process_group()


if __name__ == '__main__' and sys.argv[1:2] == ['--ddp-worker']:
    _ddp_worker(sys.argv[2])


def test_early_stop_epoch(tmp_path):
    """The stop epoch of DistanceEarlyStopHook's state, else the epoch a
    hook set ``stop_training`` before ``max_epochs``; None otherwise."""
    from types import SimpleNamespace

    from mmengine.logging import MessageHub, MMLogger

    from mmddarts.engine.hooks import SearchCostHook
    from mmddarts.engine.hooks.distance_hooks import STATE_KEY

    def runner(stop, state=None):
        hub = MessageHub.get_instance(experiment_name('cost_hub'))
        if state is not None:
            hub.update_info(STATE_KEY, state)
        return SimpleNamespace(
            model=torch.nn.Linear(1, 1), message_hub=hub,
            train_loop=SimpleNamespace(stop_training=stop, step_timer=None),
            cfg=Config(dict()), work_dir=str(tmp_path), max_epochs=50,
            epoch=12, logger=MMLogger.get_instance(experiment_name('log')))

    def stop_epoch(r):
        hook = SearchCostHook()
        hook.before_run(r)
        hook.before_train(r)
        assert r.train_loop.step_timer is r.model.step_timer
        hook.after_train(r)
        return read(str(tmp_path))['early_stop_epoch']

    assert stop_epoch(runner(False)) is None
    assert stop_epoch(runner(True)) == 12
    assert stop_epoch(runner(True, dict(stop=dict(epoch=15)))) == 15
