"""DDartsSearch with ``unrolled=True`` and ``contribution='shapley'``: the
options reach the architecture step, the virtual step takes its defaults
from the weight optimizer (its scheduled lr, momentum, weight decay and
momentum buffers) without changing that optimizer's state, and bad options
fail with messages naming the key.

Expected alpha gradients come from the exact double back-propagation of
``mmddarts.testing.second_order`` (an independent computation, shared
with ``tests/test_models/test_unrolled.py``), fed
with the optimizer's values read here by hand.
"""
import copy
import os.path as osp

import pytest
import torch

pytest.importorskip('mmpretrain')

from mmddarts.engine.optimizers import \
    SearchOptimWrapperConstructor  # noqa: E402
from mmddarts.models.algorithms import DDartsSearch  # noqa: E402
from mmddarts.testing import second_order as tu  # noqa: E402
from mmddarts.testing.search_batch import make_batch  # noqa: E402

TINY_NET = dict(type='mmddarts.DDartsSupernet', num_classes=3, C=4,
                num_cells=3, steps=2, in_channels=3, ablation_rel_eps=0.0)


def make_model(double=True, **kwargs):
    torch.manual_seed(0)
    cfg = dict(architecture=TINY_NET, w01=7.0, w_abl=0.5, ablation='exact')
    cfg.update(kwargs)
    model = DDartsSearch(**cfg)
    if double:
        model = model.double()
    with torch.no_grad():
        for a in model.arch_parameters():
            a.normal_(0, 1)
    return model


def build_optim(model):
    return SearchOptimWrapperConstructor(
        dict(architecture=dict(optimizer=dict(type='Adam', lr=3e-3)),
             weights=dict(optimizer=dict(type='SGD', lr=0.4, momentum=0.9,
                                         weight_decay=3e-4))))(model)


def prep(model, batch):
    """The preprocessed batch with float64 inputs (the model is float64)."""
    data = model.data_preprocessor(batch, True)
    data['inputs'] = data['inputs'].double()
    return data


def xy(data):
    return data['inputs'], torch.cat(
        [ds.gt_label for ds in data['data_samples']])


def test_unrolled_step_reads_weight_optimizer_and_leaves_it_alone():
    model = make_model(unrolled=True, unroll_eps=1e-6)
    optim = build_optim(model)
    # one weight step first: momentum buffers exist, as in a search
    model.weight_step(prep(model, make_batch(9)), optim['weights'])
    group = optim['weights'].optimizer.param_groups[0]
    group['lr'] = 0.3  # as a scheduler would have set it
    opt_state = copy.deepcopy(optim['weights'].optimizer.state_dict())
    weights = [p.detach().clone() for p in model.weight_parameters()]
    bufs = [optim['weights'].optimizer.state[p]['momentum_buffer'].clone()
            for p in model.weight_parameters()]
    batch_a, batch_w = prep(model, make_batch(1)), prep(model, make_batch(2))
    # expected: exact second order with the optimizer's current values
    # (momentum 0.9 and weight decay 3e-4 are the oracle's MOM and WD)
    assert (tu.MOM, tu.WD) == (0.9, 3e-4)
    gen_seed = 77
    torch.manual_seed(gen_seed)
    seed = int(torch.randint(0, 2**62, (1, )).item())  # the step's draw
    expected = tu.exact_second_order(model.architecture, xy(batch_a),
                                     xy(batch_w), bufs,
                                     'exact', lr=0.3, seed=seed)

    seen = {}
    orig_step = optim['architecture'].step

    def capture_step(**kw):
        seen['grads'] = [a.grad.clone() for a in model.arch_parameters()]
        return orig_step(**kw)

    optim['architecture'].step = capture_step
    torch.manual_seed(gen_seed)
    model.arch_step(batch_a, optim['architecture'],
                    unroll=(batch_w, optim['weights']))
    assert tu.max_err(seen["grads"], expected) < 1e-6
    for p, w in zip(model.weight_parameters(), weights):
        assert torch.equal(p, w) and p.grad is None
    after = optim['weights'].optimizer.state_dict()
    assert after['param_groups'] == opt_state['param_groups']
    for k, st in opt_state['state'].items():
        assert torch.equal(after['state'][k]['momentum_buffer'],
                           st['momentum_buffer'])


def test_train_step_runs_both_features():
    model = make_model(double=False, unrolled=True, contribution='shapley',
                       shapley_permutations=2)
    optim = build_optim(model)
    before = [a.detach().clone() for a in model.arch_parameters()]
    logs = model.train_step(dict(weights=make_batch(2), arch=make_batch(1)),
                            optim)
    assert logs['arch_unroll_r'] > 0
    assert model.latest_arch_logs['mc_se'].shape == (3, )
    assert all(torch.isfinite(v).all() for v in logs.values())
    assert any(not torch.equal(a, b)
               for a, b in zip(model.arch_parameters(), before))


@pytest.mark.parametrize('kwargs,match', [
    (dict(contribution='banzhaf'), 'contribution must be one of'),
    (dict(contribution='shapley', ablation='none'), "needs ablation="),
    (dict(shapley_permutations=0), 'shapley_permutations'),
    (dict(shapley_truncation=-1), 'shapley_truncation'),
    (dict(unroll_lr=-0.1), 'unroll_lr'),
    (dict(unroll_eps=0), 'unroll_eps'),
])
def test_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_model(**kwargs)


@pytest.mark.parametrize('name,mixing', [('darts-2nd_c10.py', 'softmax'),
                                         ('ddarts-2nd_c10.py', 'sigmoid')])
def test_second_order_configs_use_the_weight_optimizer(repo_root, name,
                                                       mixing):
    """The virtual step of the second-order configs takes DARTS' published
    values from the weight optimizer: xi = its lr, momentum 0.9, wd 3e-4,
    r = 0.01 / ||v||."""
    from mmengine.config import Config

    from mmddarts.models.algorithms.arch_step_variants import unroll_hparams
    from mmddarts.setup_env import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(osp.join(repo_root, 'configs/search', name))
    assert cfg.model.unrolled is True and cfg.model.unroll_eps == 0.01
    model_cfg = cfg.model.to_dict()
    model_cfg.pop('type')
    model_cfg.pop('data_preprocessor', None)
    model_cfg['architecture'].update(C=4, num_cells=3, steps=2)
    model_cfg['architecture'].pop('type')
    model_cfg['architecture'] = dict(type='mmddarts.DDartsSupernet',
                                     **model_cfg['architecture'])
    model = DDartsSearch(**model_cfg)
    assert model.unrolled and model.architecture.mixing == mixing
    optim_cfg = cfg.optim_wrapper.to_dict()
    optim_cfg.pop('constructor')
    optim = SearchOptimWrapperConstructor(optim_cfg)(model)
    lr, mom, wd, bufs = unroll_hparams(model, optim['weights'])
    want_lr = 0.025 if name.startswith('darts') else 0.005
    assert (lr, mom, wd) == (want_lr, 0.9, 3e-4)
    assert all(b is None for b in bufs)  # no weight step yet
