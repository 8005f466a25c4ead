"""End-to-end searches through mmengine's Runner on generated CIFAR data.

A tiny supernet (3 cells, C=4, 2 steps) on 8x8 images keeps each run to
seconds: 2-epoch search writing genotypes and history; resume after epoch 1
reproducing the uninterrupted run; per-optimizer cosine schedules; the plot
tools; a 2-process gloo DDP search keeping alphas identical on both ranks.
"""
import copy
import glob
import json
import math
import os.path as osp
import subprocess
import sys

import pytest
import torch

pytest.importorskip('mmpretrain')

from mmengine.config import Config  # noqa: E402
from mmengine.hooks import Hook  # noqa: E402

from mmddarts.registry import HOOKS  # noqa: E402
from mmddarts.structures.loading import load_genotype  # noqa: E402
from mmddarts.testing.cpu_ranks import run_cpu_ranks  # noqa: E402
from mmddarts.testing.search_runs import (experiment_name,  # noqa: E402
                                          run_train, split_loader, val_loader)
from mmddarts.utils.dist_utils import shutdown_process_group  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
METHODS = ('sparse', 'edge', 'darts')
EPOCHS = 2


@HOOKS.register_module(force=True)
class _StopAfterEpochHook(Hook):
    """Test double for an interruption: stops training after ``epoch``
    epochs (the checkpoint of that epoch is still written)."""

    def __init__(self, epoch):
        self.epoch = epoch

    def after_train_epoch(self, runner):
        if runner.epoch + 1 >= self.epoch:
            runner.train_loop.stop_training = True


def search_cfg(data_root, work_dir, max_epochs=EPOCHS, ablation='exact',
               w_abl=0.5):
    base = dict(
        default_scope='mmddarts',
        work_dir=work_dir,
        experiment_name=experiment_name('search'),
        model=dict(
            type='mmddarts.DDartsSearch',
            architecture=dict(type='mmddarts.DDartsSupernet', num_classes=10,
                              channels=4, num_cells=3, steps=2),
            data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor',
                                   num_classes=10, mean=[127.5] * 3,
                                   std=[64.0] * 3),
            arch_strategy=dict(type='mmddarts.LeaveOneOutArchStep',
                               w01=7.0, w_abl=w_abl, ablation=ablation),
            parse_methods=METHODS, threshold=0.5),
        train_dataloader=split_loader(data_root, 'first'),
        arch_dataloader=split_loader(data_root, 'second'),
        val_dataloader=val_loader(data_root),
        val_evaluator=dict(type='mmpretrain.Accuracy', topk=(1, )),
        val_cfg=dict(),
        train_cfg=dict(type='mmddarts.SearchEpochBasedTrainLoop',
                       max_epochs=max_epochs, val_interval=1),
        default_hooks=dict(
            timer=dict(type='IterTimerHook'),
            logger=dict(type='LoggerHook', interval=100),
            param_scheduler=dict(type='ParamSchedulerHook'),
            checkpoint=dict(type='CheckpointHook', interval=1),
            sampler_seed=dict(type='DistSamplerSeedHook')),
        custom_hooks=[
            dict(type='mmddarts.ArchStepScheduleHook'),
            dict(type='mmddarts.GenotypeExportHook', draw=False),
        ],
        randomness=dict(seed=0),
        env_cfg=dict(dist_cfg=dict(backend='gloo')),
        log_level='WARNING',
        visualizer=dict(type='Visualizer',
                        vis_backends=[dict(type='LocalVisBackend')]),
    )
    # The search schedule of the released configs, used as is.
    sched = Config.fromfile(
        osp.join(REPO, 'configs/_base_/search/search_schedule.py'))
    base['optim_wrapper'] = copy.deepcopy(sched.optim_wrapper.to_dict())
    base['param_scheduler'] = copy.deepcopy(sched.param_scheduler.to_dict())
    return Config(base)


def alphas_of(runner):
    return [a.detach().clone() for a in runner.model.arch_parameters()]


@pytest.fixture(scope='module')
def full_run(tiny_cifar10, tmp_path_factory):
    work = str(tmp_path_factory.mktemp('search_full'))
    cfg = search_cfg(tiny_cifar10, work)
    cfg.custom_hooks[1]['draw'] = True  # GenotypeExportHook: final PNGs
    cfg.custom_hooks.append(
        dict(type='RecordLRHook', out=osp.join(work, 'lr.jsonl')))
    runner = run_train(cfg)
    return dict(work=work, alphas=alphas_of(runner),
                arch_sampler_epoch=runner.train_loop.arch_dataloader.sampler
                .epoch,
                state={k: v.clone() for k, v in
                       runner.model.state_dict().items()})


def test_search_writes_genotypes_and_history(full_run):
    work = full_run['work']
    for m in METHODS:
        for k in range(1, EPOCHS + 1):
            g = load_genotype(osp.join(work, f'genotype_{m}_epoch_{k}.json'))
            assert g.num_cells == 3 and g.steps == 2
            assert g.meta['searched_epochs'] == k
            assert g.meta['parse_method'] == m
        latest = load_genotype(osp.join(work, f'genotype_{m}_latest.json'))
        final = load_genotype(osp.join(work, f'genotype_{m}_final.json'))
        assert latest == final
        with open(osp.join(work, f'genotype_{m}_final.png'), 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    with open(osp.join(work, 'search_history.jsonl')) as f:
        hist = [json.loads(ln) for ln in f]
    assert [h['epoch'] for h in hist] == [1, 2]
    last = hist[-1]
    assert last['owners'] == ['alphas.0', 'alphas.1', 'alphas.2']
    # The history's last alphas are the model's final alphas.
    for name, a in zip(last['owners'], full_run['alphas']):
        torch.testing.assert_close(torch.tensor(last['alphas'][name]), a)
    # mc / labl averaged over the arch steps of the epoch, one per cell;
    # labl sums to zero over cells (mean-centred by construction).
    assert len(last['mc']) == 3 and len(last['labl']) == 3
    assert abs(sum(last['labl'])) < 1e-4
    dominant = [int((torch.sigmoid(a) > 0.9).sum()) for a in
                full_run['alphas']]
    assert last['dominant'] == dominant
    # The alphas' sampler was reshuffled every epoch (mmrazor's was not).
    assert full_run['arch_sampler_epoch'] == EPOCHS - 1
    # Checkpoints of both epochs exist (the resume test relies on them).
    assert osp.isfile(osp.join(work, 'epoch_1.pth'))


def test_per_optimizer_cosine_schedules(full_run):
    with open(osp.join(full_run['work'], 'lr.jsonl')) as f:
        lrs = [json.loads(ln) for ln in f]
    assert [r['epoch'] for r in lrs] == [0, 1]

    def cosine(base, eta_min, t, T):
        return eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / T)) / 2

    for r in lrs:
        t = r['epoch']
        assert r['weights'] == pytest.approx(cosine(0.005, 1e-3, t, EPOCHS))
        assert r['architecture'] == pytest.approx(
            cosine(3e-3, 1e-3, t, EPOCHS))
    # epoch 1 of 2: halfway down both cosines, which differ.
    assert lrs[1]['weights'] == pytest.approx(0.003)
    assert lrs[1]['architecture'] == pytest.approx(0.002)


def test_resume_matches_uninterrupted(full_run, tiny_cifar10,
                                      tmp_path_factory):
    work = str(tmp_path_factory.mktemp('search_resume'))
    cfg = search_cfg(tiny_cifar10, work)
    cfg.custom_hooks.append(dict(type='_StopAfterEpochHook', epoch=1))
    first = run_train(cfg)
    assert first.epoch == 1
    # Fresh process state: the resumed run rebuilds everything from config
    # and the epoch_1 checkpoint.
    torch.manual_seed(12345)
    cfg2 = search_cfg(tiny_cifar10, work)
    cfg2.resume = True
    runner = run_train(cfg2)
    assert runner.epoch == EPOCHS
    for a_full, a_res in zip(full_run['alphas'], alphas_of(runner)):
        torch.testing.assert_close(a_res, a_full, rtol=0, atol=1e-6)
    state = runner.model.state_dict()
    for k, v in full_run['state'].items():
        if v.is_floating_point():
            torch.testing.assert_close(state[k], v, rtol=0, atol=1e-6,
                                       msg=k)
        else:
            assert torch.equal(state[k], v), k
    with open(osp.join(work, 'search_history.jsonl')) as f:
        assert [json.loads(ln)['epoch'] for ln in f] == [1, 2]


def test_plot_tools_write_pngs(full_run, tmp_path):
    hist = osp.join(full_run['work'], 'search_history.jsonl')
    out = {n: str(tmp_path / f'{n}.png') for n in ('a', 'h', 'c')}
    for cmd in (['plot_alphas.py', hist, '--out', out['a'],
                 '--heatmap', out['h']],
                ['plot_contributions.py', hist, '--out', out['c']]):
        subprocess.run(
            [sys.executable,
             osp.join(REPO, 'tools/analysis_tools', cmd[0])] + cmd[1:],
            check=True, cwd=REPO, capture_output=True, timeout=120)
    for path in out.values():
        with open(path, 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n'


def test_ddp_two_ranks_keep_alphas_identical(tiny_cifar10, tmp_path):
    """Two gloo processes; each writes its alphas/genotype every epoch."""
    # GPUs hidden on purpose: this compares CPU/gloo ranks bit for bit
    run_cpu_ranks(lambda rank: [sys.executable, osp.abspath(__file__),
                                '--ddp-worker', tiny_cifar10, str(tmp_path)],
                  2, REPO, REPO, timeout=240)
    for epoch in range(1, EPOCHS + 1):
        recs = []
        for rank in range(2):
            path = osp.join(str(tmp_path), f'rank{rank}_epoch{epoch}.pt')
            recs.append(torch.load(path, weights_only=True))
        a0, a1 = recs
        assert a0['genotype'] == a1['genotype']
        for x, y in zip(a0['alphas'], a1['alphas']):
            assert torch.equal(x, y)
        # Both ranks searched: alphas moved from the broadcast init.
        assert any(not torch.equal(x, y)
                   for x, y in zip(a0['alphas'], a0['init']))
        assert a0['weights_equal'] and a1['weights_equal']
        assert a0['buffers_equal'] and a1['buffers_equal']
    # The main rank wrote the genotype files.
    assert glob.glob(osp.join(str(tmp_path), 'work',
                              'genotype_sparse_epoch_2.json'))


@HOOKS.register_module(force=True)
class _RankRecordHook(Hook):
    """DDP worker: saves this rank's alphas and genotype every epoch, and
    whether the weights are identical on all ranks."""
    priority = 'LOWEST'

    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.init = None

    def before_train(self, runner):
        self.init = alphas_of(runner)

    def after_train_epoch(self, runner):
        from mmengine.dist import all_gather, get_rank
        flat = torch.cat([p.detach().flatten()
                          for p in runner.model.weight_parameters()])
        gathered = all_gather(flat)
        bufs = torch.cat([b.detach().double().flatten()
                          for b in runner.model.module.buffers()])
        gathered_bufs = all_gather(bufs)
        rec = dict(
            buffers_equal=all(torch.allclose(gathered_bufs[0], g)
                              for g in gathered_bufs),
            alphas=alphas_of(runner),
            init=self.init,
            genotype=runner.model.genotype('sparse').to_json(),
            weights_equal=all(torch.equal(gathered[0], g)
                              for g in gathered))
        torch.save(rec, osp.join(
            self.out_dir,
            f'rank{get_rank()}_epoch{runner.epoch + 1}.pt'))


def _ddp_worker(data_root, out_dir):
    """One rank of the gloo search (run by the DDP test as a subprocess;
    torchrun-style environment variables give rank and rendezvous)."""
    import torch.distributed as dist

    # mmengine's 'pytorch' launcher calls torch.cuda.set_device; on CPU we
    # open the gloo group ourselves and the Runner reuses it.
    dist.init_process_group('gloo')
    torch.set_num_threads(1)
    cfg = search_cfg(data_root, osp.join(out_dir, 'work'))
    cfg.launcher = 'pytorch'
    cfg.model_wrapper_cfg = dict(type='mmddarts.DDartsSearchDDP')
    cfg.custom_hooks.append(dict(type='_RankRecordHook', out_dir=out_dir))
    # BN running stats differ per rank; the search runtime averages them.
    cfg.custom_hooks.append(dict(type='SyncBuffersHook'))
    runner = run_train(cfg)
    assert type(runner.model).__name__ == 'DDartsSearchDDP'
    del runner  # its DDP wrapper holds the group: free both before exit
    shutdown_process_group()


if __name__ == '__main__' and sys.argv[1:2] == ['--ddp-worker']:
    _ddp_worker(sys.argv[2], sys.argv[3])
