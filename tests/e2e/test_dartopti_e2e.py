"""DARTOpti end to end through mmengine's Runner, from the shipped configs.

``configs/search/dartopti_resnet18_digits.py`` is run as shipped except for
the data (generated CIFAR-format files, 8x8 images, 4 iterations per epoch)
and the size (C=4, 2 or 3 epochs), so its hooks and schedules are the ones
under test. Plus static checks of every DARTOpti search / training config.
"""
import glob
import json
import math
import os.path as osp

import pytest
import torch

pytest.importorskip('mmpretrain')

from mmengine.config import Config  # noqa: E402

from mmddarts.registry import HOOKS  # noqa: E402
from mmddarts.structures import Genotype  # noqa: E402
from mmddarts.structures import get_baseline  # noqa: E402
from mmddarts.structures.loading import load_genotype  # noqa: E402
from mmddarts.testing.search_runs import (experiment_name,  # noqa: E402
                                          run_train, split_loader, val_loader)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DIGITS_CFG = osp.join(REPO, 'configs/search/dartopti_resnet18_digits.py')


def tiny_cfg(data_root, work_dir, max_epochs=2):
    """The digits DARTOpti config on tiny generated data, channels=4."""
    cfg = Config.fromfile(DIGITS_CFG)
    cfg.train_dataloader = split_loader(data_root, 'first')
    cfg.arch_dataloader = split_loader(data_root, 'second')
    cfg.val_dataloader = val_loader(data_root, batch_size=10)
    cfg.model.architecture.channels = 4
    cfg.train_cfg.max_epochs = max_epochs
    for group in cfg.param_scheduler.values():
        group[0]['end'] = max_epochs
    cfg.work_dir = work_dir
    cfg.experiment_name = experiment_name('dartopti')
    cfg.log_level = 'WARNING'
    cfg.default_hooks.logger.interval = 100
    cfg.custom_hooks = [h for h in cfg.custom_hooks
                        if h['type'] != 'SyncBuffersHook']
    for h in cfg.custom_hooks:
        if h['type'] == 'mmddarts.GenotypeExportHook':
            h['draw'] = False
    return cfg


def hook_cfg(cfg, name):
    return next(h for h in cfg.custom_hooks if h['type'] == name)


def as_sets(genotype):
    return [frozenset(g) for g in genotype.genes]


@pytest.fixture(scope='module')
def two_epochs(tiny_cifar10, tmp_path_factory):
    work = str(tmp_path_factory.mktemp('dartopti'))
    cfg = tiny_cfg(tiny_cifar10, work)
    assert hook_cfg(cfg, 'mmddarts.ArchStepScheduleHook')[
        'warmup_epochs'] == 1  # pretrain_epochs=1 in the digits config
    cfg.custom_hooks.append(
        dict(type='RecordLRHook', out=osp.join(work, 'lr.jsonl')))
    runner = run_train(cfg)
    return dict(work=work, runner=runner)


def test_pretraining_epoch_leaves_alphas_at_the_baseline(two_epochs):
    work = two_epochs['work']
    with open(osp.join(work, 'search_history.jsonl')) as f:
        hist = [json.loads(ln) for ln in f]
    assert [h['epoch'] for h in hist] == [1, 2]
    assert hist[0]['owners'] == ['alphas.0']  # ResNet18: one shared gene
    after_pretrain = torch.tensor(hist[0]['alphas']['alphas.0'])
    after_search = torch.tensor(hist[1]['alphas']['alphas.0'])
    # epoch 1 trained the weights only: alphas still exactly 10 / 0
    assert set(after_pretrain.unique().tolist()) == {0.0, 10.0}
    assert int((after_pretrain == 10.0).sum()) == 6
    # epoch 2 searched
    assert not torch.equal(after_search, after_pretrain)
    final = two_epochs['runner'].model.arch_parameters()[0].detach()
    torch.testing.assert_close(after_search, final)


def test_genotypes_written_and_epoch1_is_the_baseline(two_epochs):
    work = two_epochs['work']
    base = get_baseline('resnet18')
    for method in ('sparse', 'edge'):
        for k in (1, 2):
            g = load_genotype(
                osp.join(work, f'genotype_{method}_epoch_{k}.json'))
            assert g.seq == (0, 0, 0, 0) and g.reductions == (1, 2, 3)
            assert g.meta['baseline'] == 'resnet18'
            assert g.meta['searched_epochs'] == k
            if k == 1:
                assert as_sets(g) == as_sets(base)
        final = load_genotype(osp.join(work, f'genotype_{method}_final.json'))
        latest = load_genotype(
            osp.join(work, f'genotype_{method}_latest.json'))
        assert final == latest
    assert osp.isfile(osp.join(work, 'epoch_2.pth'))


def test_distance_history(two_epochs):
    work = two_epochs['work']
    with open(osp.join(work, 'arch_distance.json')) as f:
        record = json.load(f)
    assert record['method'] == 'edge'
    # the start (initial edge parse) is the baseline itself
    start = Genotype.from_dict(record['start'])
    assert as_sets(start) == as_sets(get_baseline('resnet18'))
    hist = record['history']
    assert [h['epoch'] for h in hist] == [1, 2]
    assert hist[0]['to_start'] == 0.0 and hist[0]['to_prev'] == 0.0
    assert hist[0]['cells_to_start'] == [0.0] * 4
    # epoch 2 against the edge genotype written for it, recomputed here
    from mmddarts.structures import genotype_distance
    g2 = load_genotype(osp.join(work, 'genotype_edge_epoch_2.json'))
    assert hist[1]['to_start'] == pytest.approx(
        genotype_distance(get_baseline('resnet18'), g2), abs=1e-12)
    assert hist[1]['to_prev'] == pytest.approx(hist[1]['to_start'],
                                               abs=1e-12)
    assert record['stop'] is None
    assert osp.isfile(osp.join(work, 'arch_distance.png'))


def test_schedules_span_pretraining_and_search(two_epochs):
    with open(osp.join(two_epochs['work'], 'lr.jsonl')) as f:
        lrs = [json.loads(ln) for ln in f]
    assert [r['epoch'] for r in lrs] == [0, 1]
    cfg = Config.fromfile(DIGITS_CFG)
    w_lr = cfg.optim_wrapper.weights.optimizer.lr
    w_min = cfg.param_scheduler.weights[0].eta_min
    a_lr = cfg.optim_wrapper.architecture.optimizer.lr
    assert (w_lr, a_lr) == (0.005, 0.1)
    # weights: cosine over both epochs, halfway at epoch 1
    cos = w_min + (w_lr - w_min) * (1 + math.cos(math.pi * 1 / 2)) / 2
    assert lrs[0]['weights'] == pytest.approx(w_lr)
    assert lrs[1]['weights'] == pytest.approx(cos)
    # alphas: the cosine begins with the search, so its first epoch uses
    # the full lr
    assert lrs[0]['architecture'] == pytest.approx(a_lr)
    assert lrs[1]['architecture'] == pytest.approx(a_lr)


def test_early_stop_through_runner(tiny_cifar10, tmp_path):
    """A large architecture lr (Adam 1.0) moves the parsed architecture off
    the baseline within the first search epoch (epoch 2), so the hook's
    min_distance guard (d > 0) passes; tol=1 makes every window stable
    (distances lie in [0, 1]). The search must then stop exactly at
    epoch 3 of 5 (window of 2 epochs counted from begin_epoch=2), write that
    epoch's checkpoint although the checkpoint interval skips it, and write
    the final genotypes and the stop record."""
    work = str(tmp_path)
    cfg = tiny_cfg(tiny_cifar10, work, max_epochs=5)
    cfg.optim_wrapper.architecture.optimizer.lr = 1.0
    stop = hook_cfg(cfg, 'mmddarts.DistanceEarlyStopHook')
    stop.update(tol=1.0, patience=2, begin_epoch=2)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10,
                                        save_last=False)
    runner = run_train(cfg)
    assert runner.epoch == 3
    assert osp.isfile(osp.join(work, 'epoch_3.pth'))
    assert not glob.glob(osp.join(work, 'epoch_[45].pth'))
    with open(osp.join(work, 'arch_distance.json')) as f:
        record = json.load(f)
    assert record['stop']['epoch'] == 3
    hist = record['history']
    assert [h['epoch'] for h in hist] == [1, 2, 3]
    assert hist[0]['to_start'] == 0.0  # pretraining
    assert hist[1]['to_start'] > 0 and hist[2]['to_start'] > 0
    final = load_genotype(osp.join(work, 'genotype_edge_final.json'))
    assert final == load_genotype(
        osp.join(work, 'genotype_edge_epoch_3.json'))
    assert final == runner.model.genotype('edge')


# ------------------------------------------------------------ configs
SEARCH_CFGS = {
    'dartopti_resnet18_c10': ('resnet18', 10),
    'dartopti_resnet18_c100': ('resnet18', 100),
    'dartopti_resnet50_c100': ('resnet50', 100),
    'dartopti_xception_c10': ('xception', 10),
}


@pytest.mark.parametrize('name', sorted(SEARCH_CFGS))
def test_search_configs(name):
    baseline, classes = SEARCH_CFGS[name]
    cfg = Config.fromfile(osp.join(REPO, f'configs/search/{name}.py'))
    arch = cfg.model.architecture
    assert arch.type == 'mmddarts.DARTOptiSupernet'
    assert arch.baseline == baseline and arch.num_classes == classes
    assert arch.channels == 32 and arch.op_set == 'extended'
    assert arch.init_high == 10.0 and arch.init_low == 0.0
    # one alpha set (ResNet18): the ablation loss is identically 0; the
    # others log it as the authors' code did (docs/search.md)
    assert cfg.model.arch_strategy.ablation == (
        'none' if baseline == 'resnet18' else 'reference')
    assert cfg.optim_wrapper.architecture.optimizer.lr == 3e-3
    assert cfg.data_preprocessor.num_classes == classes
    data = cfg.train_dataloader.dataset.dataset.type
    assert data == f'mmddarts.CIFAR{classes}'
    assert cfg.train_dataloader.batch_size == 128
    assert cfg.arch_dataloader.dataset.part == 'second'
    # 5 pretraining + 50 search epochs, schedules as documented
    assert cfg.train_cfg.max_epochs == 55
    assert hook_cfg(cfg, 'mmddarts.ArchStepScheduleHook')[
        'warmup_epochs'] == 5
    (w, ), (a, ) = cfg.param_scheduler.weights, \
        cfg.param_scheduler.architecture
    assert (w.begin, w.end, a.begin, a.end) == (0, 55, 5, 55)
    dist = hook_cfg(cfg, 'mmddarts.ArchDistanceHook')
    assert dist['method'] == 'edge'
    stop = hook_cfg(cfg, 'mmddarts.DistanceEarlyStopHook')
    assert (stop['tol'], stop['patience'], stop['begin_epoch']) == (
        1e-3, 5, 11)
    # the hooks build (a bad start genotype would fail here)
    for h in cfg.custom_hooks:
        if h['type'].startswith('mmddarts.'):
            HOOKS.build(dict(h, type=h['type'].split('.', 1)[1]))


TRAIN_CFGS = {
    'dartopti_resnet18_c10': ('do1-resnet18_c10.json', 10),
    'dartopti_resnet18_c100': ('do2-resnet18_c100.json', 100),
    'dartopti_resnet50_c10': ('do1-resnet50_c10.json', 10),
    'dartopti_resnet50_c100': ('do2-resnet50_c100.json', 100),
    'dartopti_xception_c10': ('do1-xception_c10.json', 10),
    'dartopti_xception_c100': ('do2-xception_c100.json', 100),
}


@pytest.mark.parametrize('name', sorted(TRAIN_CFGS))
def test_train_configs(name):
    genotype, classes = TRAIN_CFGS[name]
    cfg = Config.fromfile(osp.join(REPO, f'configs/train/{name}.py'))
    backbone = cfg.model.backbone
    assert backbone.genotype == f'configs/genotypes/{genotype}'
    assert backbone.channels == 64
    g = load_genotype(osp.join(REPO, backbone.genotype))
    assert g.op_set == 'extended'
    assert backbone.get('num_cells') in (None, g.num_cells)
    assert cfg.model.head.num_classes == classes
    assert cfg.model.aux_head.num_classes == classes
    assert cfg.data_preprocessor.num_classes == classes
    assert cfg.train_cfg.max_epochs == 600
