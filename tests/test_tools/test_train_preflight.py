"""tools/train.py on a toy search: the preflight refuses a search that does
not fit a tiny budget (before any data is loaded), the search is
bit-identical with and without the check, and a MemoryError in the middle of
the search is reported with its iteration while the last checkpoint stays
usable for --resume (the resumed search ends bit-identical to the
uninterrupted one)."""
import glob
import os.path as osp

import pytest
import torch

from mmddarts.testing.toy_search import (load_ckpt, run_train,  # noqa: E402
                                         write_toy_search)

pytest.importorskip('mmpretrain')


def _ok(proc):
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def _same_state(a, b):
    sa, sb = a['state_dict'], b['state_dict']
    assert sa.keys() == sb.keys()
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k


@pytest.fixture(scope='module')
def toy(tmp_path_factory, tiny_cifar10):
    tmp = tmp_path_factory.mktemp('preflight')
    return write_toy_search(tmp, tiny_cifar10), tmp


@pytest.fixture(scope='module')
def reference(toy):
    """The toy search with the check off: the uninterrupted reference."""
    cfg, tmp = toy
    work = tmp / 'no_check'
    _ok(run_train(cfg, '--work-dir', str(work), '--no-preflight'))
    assert not osp.exists(work / 'preflight.json')
    return load_ckpt(work / 'epoch_2.pth')


def test_tiny_budget_is_refused_before_loading_data(toy):
    cfg, tmp = toy
    work = tmp / 'refused'
    empty = tmp / 'empty_root'  # exists (checked first), holds no data
    empty.mkdir(exist_ok=True)
    proc = run_train(cfg, '--work-dir', str(work), '--cfg-options',
                     'preflight.budget=1MB', f'data_root={empty}')
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert 'preflight: the search will not fit in memory.' in out
    assert 'estimated peak of one search iteration at batch 5 (exact ' \
        'ablation, fp32, cpu):' in out
    assert 'available: 1 MiB' in out
    assert 'Fixes, in order:\n  1. ' in out
    # stopped before the Runner: no data read (the data root holds none),
    # no checkpoint
    assert 'FileNotFoundError' not in out
    assert not glob.glob(str(work / '*.pth'))


def test_search_is_bit_identical_with_and_without_the_check(toy, reference):
    cfg, tmp = toy
    work = tmp / 'checked'
    out = _ok(run_train(cfg, '--work-dir', str(work)))
    assert 'preflight: estimated peak' in out
    assert osp.isfile(work / 'preflight.json')
    checked = load_ckpt(work / 'epoch_2.pth')
    _same_state(checked, reference)
    for key in ('architecture', 'weights'):
        a = checked['optimizer'][key]['state']
        b = reference['optimizer'][key]['state']
        for i in a:
            for name in a[i]:
                assert torch.equal(torch.as_tensor(a[i][name]),
                                   torch.as_tensor(b[i][name]))


def test_memory_error_mid_search_is_reported_and_resumable(
        toy, reference, tiny_cifar10):
    cfg, tmp = toy
    work = tmp / 'oom'
    oom_cfg = write_toy_search(
        tmp, tiny_cifar10, name='toy_oom.py',
        extra="""
custom_imports = dict(imports=['mmddarts.testing.preflight_hooks'],
                      allow_failed_imports=False)
custom_hooks = [
    dict(type='mmddarts.ArchStepScheduleHook'),
    dict(type='mmddarts.GenotypeExportHook', draw=False),
    dict(type='InjectMemoryErrorHook', at_iter=6),
]
""")
    proc = run_train(oom_cfg, '--work-dir', str(work))
    assert proc.returncode == 1
    out = proc.stdout + proc.stderr
    # 4 iterations per epoch: global iteration 6 is epoch 2, iteration 2
    report = ('Out of memory at epoch 2, iteration 2/4 (global iteration '
              '6), batch 5: MemoryError: injected by InjectMemoryErrorHook')
    assert report in out
    assert 'Fixes, in order:' in out
    assert f'{work}/epoch_1.pth, is intact' in out
    assert '--resume' in out
    # in the run's log file too, not only on the console
    logs = glob.glob(str(work / '*' / '*.log'))
    assert any(report in open(p).read() for p in logs)
    assert not osp.exists(work / 'epoch_2.pth')
    with open(work / 'last_checkpoint') as f:
        assert f.read().strip().endswith('epoch_1.pth')
    assert load_ckpt(work / 'epoch_1.pth')['meta']['epoch'] == 1

    _ok(run_train(cfg, '--work-dir', str(work), '--resume'))
    _same_state(load_ckpt(work / 'epoch_2.pth'), reference)
