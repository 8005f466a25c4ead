"""tools/train.py and tools/test.py end to end, as subprocesses, on tiny
CIFAR-format files read by mmpretrain's real CIFAR code."""
import importlib.util
import os
import os.path as osp
import pickle
import re
import subprocess
import sys

import pytest
import torch

TOY_CONFIG = '''
_base_ = [{base!r}]
default_scope = 'mmpretrain'
model = dict(
    type='mmpretrain.ImageClassifier',
    backbone=dict(
        type='mmpretrain.ResNet_CIFAR', depth=18, num_stages=1,
        strides=(1, ), dilations=(1, ), out_indices=(0, ), stem_channels=8,
        base_channels=8),
    neck=dict(type='mmpretrain.GlobalAveragePooling'),
    head=dict(
        type='mmpretrain.LinearClsHead', num_classes=10, in_channels=8,
        loss=dict(type='mmpretrain.CrossEntropyLoss')))
_loader = dict(batch_size=4, num_workers=0, dataset=dict(check_md5=False))
train_dataloader = _loader
val_dataloader = _loader
test_dataloader = _loader
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9))
param_scheduler = dict(type='CosineAnnealingLR', T_max=2, by_epoch=True)
train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=4)
default_hooks = dict(logger=dict(type='LoggerHook', interval=5))
'''


def _run(repo_root, tool, *args, timeout=120):
    env = dict(os.environ, PYTHONPATH=repo_root, CUDA_VISIBLE_DEVICES='')
    return subprocess.run(
        [sys.executable, osp.join(repo_root, 'tools', tool), *args],
        cwd=repo_root, env=env, capture_output=True, text=True,
        timeout=timeout)


def _ok(proc):
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def toy(tmp_path_factory, repo_root):
    tmp = tmp_path_factory.mktemp('train_tool')
    cfg = tmp / 'toy_cifar.py'
    base = osp.join(repo_root, 'configs/_base_/datasets/cifar10.py')
    cfg.write_text(TOY_CONFIG.format(base=base))
    return str(cfg), tmp


def _load(path):
    from mmddarts.utils.checkpoint import load_from_local_allowlisted
    return load_from_local_allowlisted(str(path))


def test_train_then_resume(toy, tiny_cifar10, repo_root):
    cfg, tmp = toy
    work = tmp / 'work'
    # 40 images / batch 4 = 10 iterations per epoch; data_root reaches the
    # train, val and test datasets through --cfg-options.
    _ok(_run(repo_root, 'train.py', cfg, '--work-dir', str(work),
             '--cfg-options', f'data_root={tiny_cifar10}'))
    ckpt = _load(work / 'epoch_1.pth')
    assert (ckpt['meta']['epoch'], ckpt['meta']['iter']) == (1, 10)

    # --resume without a path continues from the latest checkpoint; the
    # cfg-option raises max_epochs so that one more epoch runs.
    log = _ok(_run(repo_root, 'train.py', cfg, '--work-dir', str(work),
                   '--resume', '--cfg-options', f'data_root={tiny_cifar10}',
                   'train_cfg.max_epochs=2'))
    assert 'resumed epoch: 1, iter: 10' in log
    assert not re.search(r'Epoch\(train\)\s*\[1\]', log)  # epoch 1 skipped
    assert re.search(r'Epoch\(train\)\s*\[2\]', log)
    ckpt = _load(work / 'epoch_2.pth')
    assert (ckpt['meta']['epoch'], ckpt['meta']['iter']) == (2, 20)


def _tool(repo_root, name):
    """tools/<name>.py as a module, to call its main() in-process."""
    spec = importlib.util.spec_from_file_location(
        f'tools_{name}', osp.join(repo_root, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_resume_from_explicit_checkpoint(toy, tiny_cifar10, repo_root):
    # In-process (the subprocess path is covered above): resume another
    # run's checkpoint by path into a new work dir.
    cfg, tmp = toy
    src = tmp / 'work' / 'epoch_1.pth'
    if not src.exists():
        pytest.skip('needs test_train_then_resume_then_test first')
    work = tmp / 'explicit'
    _tool(repo_root, 'train').main([
        cfg, '--work-dir', str(work), '--no-validate', '--auto-scale-lr',
        '--resume', str(src), '--cfg-options', f'data_root={tiny_cifar10}',
        'train_cfg.max_epochs=2'
    ])
    assert (work / 'epoch_2.pth').exists()
    assert not (work / 'epoch_1.pth').exists()  # epoch 1 was not rerun
    ckpt = _load(work / 'epoch_2.pth')
    assert (ckpt['meta']['epoch'], ckpt['meta']['iter']) == (2, 20)


def test_test_tool(toy, tiny_cifar10, repo_root, capsys):
    # In-process to save a Python start-up; same code path as the CLI.
    cfg, tmp = toy
    ckpt = tmp / 'work' / 'epoch_2.pth'
    if not ckpt.exists():
        pytest.skip('needs test_train_then_resume first')
    out = tmp / 'preds.pkl'
    _tool(repo_root, 'test').main([
        cfg, str(ckpt), '--work-dir', str(tmp / 'test'), '--out', str(out),
        '--cfg-options', f'data_root={tiny_cifar10}'
    ])
    assert 'accuracy/top1' in capsys.readouterr().out
    with open(out, 'rb') as f:
        preds = pickle.load(f)
    assert len(preds) == 20  # the whole test split
    assert {int(p['gt_label']) for p in preds} <= set(range(10))


@pytest.mark.skipif(torch.cuda.is_available(), reason='needs a CPU machine')
def test_amp_without_accelerator_exits_cleanly(toy, tiny_cifar10, repo_root):
    cfg, tmp = toy
    with pytest.raises(SystemExit, match='--amp needs a GPU'):
        _tool(repo_root, 'train').main(
            [cfg, '--amp', '--work-dir', str(tmp / 'amp')])
    assert not (tmp / 'amp').exists()  # stopped before building a Runner


def test_amp_switches_every_optimizer_wrapper():
    from mmddarts.engine.optimizers.amp_options import set_amp
    single = dict(optimizer=dict(type='SGD', lr=0.1))
    set_amp(single)
    assert single['type'] == 'AmpOptimWrapper'
    assert single['loss_scale'] == 'dynamic'
    # bi-level search: a dict of wrappers (OptimWrapperDict)
    pair = dict(
        constructor='mmddarts.SomeConstructor',
        weights=dict(optimizer=dict(type='SGD', lr=0.1)),
        arch=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3)))
    set_amp(pair)
    assert pair['weights']['type'] == pair['arch']['type'] == \
        'AmpOptimWrapper'
    assert pair['constructor'] == 'mmddarts.SomeConstructor'
    typed = dict(type='OptimWrapperDict',
                 a=dict(optimizer=dict(type='SGD', lr=0.1)),
                 paramwise_cfg=dict(norm_decay_mult=0.))
    set_amp(typed)
    assert typed['type'] == 'OptimWrapperDict'
    assert typed['a']['type'] == 'AmpOptimWrapper'
    assert 'type' not in typed['paramwise_cfg']


DERIVED_CONFIG = '''
_base_ = [{derived!r}]
# the digits demo, fed with CIFAR-format files through mmpretrain's CIFAR code
_cifar = dict(type='mmddarts.CIFAR10', data_root={root!r}, check_md5=False)
train_dataloader = dict(batch_size=8, dataset=_cifar)
val_dataloader = dict(batch_size=10, dataset=_cifar)
test_dataloader = val_dataloader
'''


def test_derived_net_trains_on_cifar_format_files(tmp_path, tiny_cifar10,
                                                  repo_root):
    derived = osp.join(repo_root, 'configs/train/ddarts_digits.py')
    if not osp.exists(derived):
        pytest.skip('configs/train/ddarts_digits.py not written yet')
    cfg = tmp_path / 'derived_cifar.py'
    cfg.write_text(DERIVED_CONFIG.format(derived=derived, root=tiny_cifar10))
    work = tmp_path / 'work'
    # 40 images / batch 8 = 5 iterations, one epoch, a 4-channel network
    log = _ok(_run(repo_root, 'train.py', str(cfg), '--work-dir', str(work),
                   '--cfg-options', 'train_cfg.max_epochs=1',
                   'model.backbone.channels=4', 'model.backbone.num_cells=3',
                   'param_scheduler.T_max=1', 'param_scheduler.end=1'))
    assert re.search(r'Epoch\(train\)\s*\[1\]\[5/5\]', log) or \
        'Saving checkpoint at 1 epochs' in log
    ckpt = _load(work / 'epoch_1.pth')
    assert ckpt['meta']['iter'] == 5
    assert ckpt['meta']['dataset_meta']['classes'][0] == 'airplane'
    assert any(k.startswith('backbone.cells.2') for k in ckpt['state_dict'])
