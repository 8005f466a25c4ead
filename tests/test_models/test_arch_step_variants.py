"""DDartsSearch with the ``UnrolledArchStep`` and ``ShapleyArchStep``
strategies: the options reach the architecture step, the virtual step takes
its defaults from the weight optimizer (its scheduled lr, momentum, weight
decay and momentum buffers) without changing that optimizer's state, and
bad options fail with messages naming the key (the strategies' own, and the
flat options of release d025874 that still map onto them).

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

TINY_NET = dict(type='mmddarts.DDartsSupernet', num_classes=3, channels=4,
                num_cells=3, steps=2, in_channels=3,
                ablation_cfg=dict(rel_eps=0.0))


EXACT = dict(type='mmddarts.LeaveOneOutArchStep', w01=7.0, w_abl=0.5,
             ablation='exact')


def unrolled(inner=EXACT, **kwargs):
    return dict(type='mmddarts.UnrolledArchStep', inner=inner, **kwargs)


def make_model(double=True, arch_strategy=EXACT, **legacy):
    torch.manual_seed(0)
    model = DDartsSearch(architecture=TINY_NET, arch_strategy=arch_strategy,
                         **legacy)
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
    model = make_model(arch_strategy=unrolled(eps=1e-6))
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
    shapley = dict(EXACT, type='mmddarts.ShapleyArchStep',
                   num_permutations=2)
    model = make_model(double=False, arch_strategy=unrolled(shapley))
    optim = build_optim(model)
    before = [a.detach().clone() for a in model.arch_parameters()]
    logs = model.train_step(dict(weights=make_batch(2), arch=make_batch(1)),
                            optim)
    assert logs['arch_unroll_r'] > 0
    assert model.latest_arch_logs['mc_se'].shape == (3, )
    assert all(torch.isfinite(v).all() for v in logs.values())
    assert any(not torch.equal(a, b)
               for a, b in zip(model.arch_parameters(), before))


@pytest.mark.parametrize('strategy,match', [
    (dict(EXACT, type='mmddarts.ShapleyArchStep', ablation='none'),
     "ShapleyArchStep needs ablation="),
    (dict(EXACT, type='mmddarts.ShapleyArchStep', num_permutations=0),
     'ShapleyArchStep: num_permutations must be >= 1'),
    (dict(EXACT, type='mmddarts.ShapleyArchStep', truncation=-1),
     'ShapleyArchStep: truncation must be >= 0'),
    (unrolled(lr=-0.1), 'UnrolledArchStep: lr must be >= 0'),
    (unrolled(eps=0), 'UnrolledArchStep: eps must be > 0'),
    (unrolled(inner=unrolled()), 'inner must be a first-order'),
    (unrolled(inner=dict(type='mmddarts.ReferenceDynamicsArchStep')),
     'inner must be a first-order'),
    (dict(EXACT, ablation='logged'), 'ablation must be one of'),
])
def test_bad_options(strategy, match):
    with pytest.raises(ValueError, match=match):
        make_model(arch_strategy=strategy)


@pytest.mark.parametrize('kwargs,match', [
    (dict(contribution='banzhaf'), 'contribution must be one of'),
    (dict(contribution='shapley', ablation='none'), "needs ablation="),
    (dict(shapley_permutations=0), 'shapley_permutations'),
    (dict(shapley_truncation=-1), 'shapley_truncation'),
    (dict(unroll_lr=-0.1), 'unroll_lr'),
    (dict(unroll_eps=0), 'unroll_eps'),
])
def test_bad_legacy_options(kwargs, match):
    """The flat options of release d025874, validated under their names."""
    with pytest.raises(ValueError, match=match):
        make_model(arch_strategy=None, **kwargs)


@pytest.mark.parametrize('name,mixing', [('darts-2nd_c10.py', 'softmax'),
                                         ('ddarts-2nd_c10.py', 'sigmoid')])
def test_second_order_configs_use_the_weight_optimizer(repo_root, name,
                                                       mixing):
    """The virtual step of the second-order configs takes DARTS' published
    values from the weight optimizer: xi = its lr, momentum 0.9, wd 3e-4,
    r = 0.01 / ||v||."""
    from mmengine.config import Config

    from mmddarts.models.arch_steps import UnrolledArchStep
    from mmddarts.setup_env import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(osp.join(repo_root, 'configs/search', name))
    strategy = cfg.model.arch_strategy
    assert strategy.type == 'mmddarts.UnrolledArchStep'
    assert strategy.eps == 0.01 and strategy.lr is None
    model_cfg = cfg.model.to_dict()
    model_cfg.pop('type')
    model_cfg.pop('data_preprocessor', None)
    model_cfg['architecture'].update(channels=4, num_cells=3, steps=2)
    model_cfg['architecture'].pop('type')
    model_cfg['architecture'] = dict(type='mmddarts.DDartsSupernet',
                                     **model_cfg['architecture'])
    model = DDartsSearch(**model_cfg)
    assert isinstance(model.arch_strategy, UnrolledArchStep)
    assert model.architecture.mixing == mixing
    optim_cfg = cfg.optim_wrapper.to_dict()
    optim_cfg.pop('constructor')
    optim = SearchOptimWrapperConstructor(optim_cfg)(model)
    lr, mom, wd, bufs = model.arch_strategy.hparams(model.architecture,
                                                    optim['weights'])
    want_lr = 0.025 if name.startswith('darts') else 0.005
    assert (lr, mom, wd) == (want_lr, 0.9, 3e-4)
    assert all(b is None for b in bufs)  # no weight step yet
