"""A search checkpoint written by release d025874 resumes with today's code.

``tests/data/checkpoints/ddarts_search_d025874_epoch_1.pth`` is the epoch-1
checkpoint of ``test_search_e2e.search_cfg`` (3 cells, 4 channels, exact
ablation) run with release d025874's code, and
``ddarts_search_d025874_epoch_2.json`` the alphas and per-tensor absolute
sums of that release's uninterrupted epoch 2 (tests/data/checkpoints/
README.md). The search is resumed from the old checkpoint twice: with the
release's flat config (``C``, ``w01``, ``w_abl``, ``ablation``: warned, still
accepted) and with today's (``channels``, ``arch_strategy``). Checked: the
restored state is the file's, read with ``torch.load`` (not through
mmengine), and epoch 2 reproduces the release's own epoch 2.
"""
import copy
import json
import os.path as osp
import warnings

import pytest
import torch

pytest.importorskip('mmpretrain')

from mmengine.hooks import Hook  # noqa: E402

from mmddarts.registry import HOOKS  # noqa: E402
from mmddarts.testing.search_runs import run_train  # noqa: E402
from mmddarts.utils.deprecation import \
    MMDDartsDeprecationWarning  # noqa: E402
from test_search_e2e import EPOCHS, search_cfg  # noqa: E402

DATA = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'data',
                'checkpoints')
CKPT = osp.join(DATA, 'ddarts_search_d025874_epoch_1.pth')
EXPECT = osp.join(DATA, 'ddarts_search_d025874_epoch_2.json')


@HOOKS.register_module(force=True)
class _StartStateHook(Hook):
    """Copies the model and optimizer state when training (re)starts, i.e.
    right after the runner resumed."""
    priority = 'VERY_HIGH'
    seen = {}

    def before_train(self, runner):
        type(self).seen = dict(
            epoch=runner.epoch, iter=runner.iter,
            model={k: v.detach().clone()
                   for k, v in runner.model.state_dict().items()},
            optim=copy.deepcopy(runner.optim_wrapper.state_dict()))


def release_cfg(data_root, work_dir):
    """The same run written as release d025874's users wrote it."""
    cfg = search_cfg(data_root, work_dir)
    model = cfg.model
    strategy = model.pop('arch_strategy')
    model.architecture['C'] = model.architecture.pop('channels')
    model.update(w01=strategy.w01, w_abl=strategy.w_abl,
                 ablation=strategy.ablation)
    return cfg


def resume(cfg):
    cfg.load_from = CKPT
    cfg.resume = True
    cfg.custom_hooks.append(dict(type='_StartStateHook'))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        runner = run_train(cfg)
    deprecated = [w for w in caught
                  if issubclass(w.category, MMDDartsDeprecationWarning)]
    return runner, deprecated


def assert_same_tensors(got, want, where):
    if isinstance(want, torch.Tensor):
        assert torch.equal(got, want), where
    elif isinstance(want, dict):
        assert set(got) == set(want), where
        for k in want:
            assert_same_tensors(got[k], want[k], f'{where}.{k}')
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same_tensors(g, w, f'{where}[{i}]')
    else:
        assert got == want, where


@pytest.fixture(scope='module')
def resumed(tiny_cifar10, tmp_path_factory):
    runs = {}
    for name, make in (('release', release_cfg), ('current', search_cfg)):
        torch.manual_seed(12345)  # fresh state: the checkpoint restores it
        work = str(tmp_path_factory.mktemp(f'resume_{name}'))
        runner, deprecated = resume(make(tiny_cifar10, work))
        runs[name] = dict(runner=runner, deprecated=deprecated,
                          start=_StartStateHook.seen,
                          state={k: v.detach().clone() for k, v in
                                 runner.model.state_dict().items()})
    return runs


def test_old_options_warn_new_ones_do_not(resumed):
    text = ' '.join(str(w.message) for w in resumed['release']['deprecated'])
    assert "'C' is deprecated, use 'channels'" in text
    assert "flat options ['ablation', 'w01', 'w_abl'] are deprecated" in text
    assert resumed['current']['deprecated'] == []


@pytest.mark.parametrize('name', ['release', 'current'])
def test_restores_the_files_state(resumed, name):
    ckpt = torch.load(CKPT, map_location='cpu', weights_only=False)
    start = resumed[name]['start']
    assert (start['epoch'], start['iter']) == (ckpt['meta']['epoch'],
                                               ckpt['meta']['iter']) == (1, 4)
    # today's models also write structure records (supernet_arch.py), which
    # the release's files lack; every tensor the file holds is restored
    extra = set(start['model']) - set(ckpt['state_dict'])
    assert extra <= {'_extra_state', 'architecture._extra_state'}, extra
    assert_same_tensors({k: start['model'][k] for k in ckpt['state_dict']},
                        dict(ckpt['state_dict']), 'model')
    for key in ('architecture', 'weights'):
        assert_same_tensors(start['optim'][key]['state'],
                            ckpt['optimizer'][key]['state'], key)
        got = start['optim'][key]['param_groups']
        want = ckpt['optimizer'][key]['param_groups']
        assert [g['lr'] for g in got] == [g['lr'] for g in want], key


@pytest.mark.parametrize('name', ['release', 'current'])
def test_epoch_2_matches_the_release(resumed, name):
    with open(EXPECT) as f:
        expect = json.load(f)
    runner = resumed[name]['runner']
    assert runner.epoch == EPOCHS == expect['epoch']
    assert runner.iter == expect['iter']
    state = resumed[name]['state']
    for key, want in expect['alphas'].items():
        torch.testing.assert_close(state[key], torch.tensor(want),
                                   rtol=1e-4, atol=1e-6, msg=key)
    for key, want in expect['abs_sums'].items():
        got = float(state[key].double().abs().sum())
        assert got == pytest.approx(want, rel=1e-4, abs=1e-6), key


def test_both_formats_give_the_same_search(resumed):
    """Same strategy, same supernet: bit-identical runs."""
    a, b = resumed['release']['state'], resumed['current']['state']
    assert set(a) == set(b)
    for key in a:
        assert torch.equal(a[key], b[key]), key
