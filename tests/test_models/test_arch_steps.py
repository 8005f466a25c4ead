"""The architecture-step strategies as components: built from config by
type, abstract base, own state, and the flat options of release d025874
mapped onto them (with a warning) exactly as that release interpreted
them.

The numbers of each strategy are tested against independent computations
elsewhere (test_ablation.py, test_shapley.py, test_unrolled.py,
tests/test_engine/test_reference_dynamics.py); here the wiring.
"""
import warnings

import pytest
import torch

pytest.importorskip('mmpretrain')

from mmddarts.models.algorithms import DDartsSearch  # noqa: E402
from mmddarts.models.arch_steps import (BaseArchStep,  # noqa: E402
                                        LeaveOneOutArchStep,
                                        ReferenceDynamicsArchStep,
                                        ShapleyArchStep, UnrolledArchStep,
                                        arch_strategy_cfg)
from mmddarts.registry import MODELS  # noqa: E402
from mmddarts.utils.deprecation import \
    MMDDartsDeprecationWarning  # noqa: E402

NET = dict(type='mmddarts.DDartsSupernet', num_classes=3, channels=4,
           num_cells=3, steps=2)
LOO = 'mmddarts.LeaveOneOutArchStep'


def build(cfg):
    return MODELS.build(cfg)


def test_registered_and_built_by_type():
    for name, cls in (('LeaveOneOutArchStep', LeaveOneOutArchStep),
                      ('ShapleyArchStep', ShapleyArchStep),
                      ('ReferenceDynamicsArchStep',
                       ReferenceDynamicsArchStep)):
        obj = build(dict(type=f'mmddarts.{name}', ablation='reference'))
        assert type(obj) is cls and isinstance(obj, BaseArchStep)
    unrolled = build(dict(type='mmddarts.UnrolledArchStep'))
    assert isinstance(unrolled.inner, LeaveOneOutArchStep)
    # the objective is the inner step's
    inner = ShapleyArchStep(w01=3.0, w_abl=0.25, ablation='reference')
    outer = UnrolledArchStep(inner=inner)
    assert (outer.w01, outer.w_abl, outer.ablation) == (3.0, 0.25,
                                                        'reference')


def test_base_is_abstract():
    with pytest.raises(TypeError, match='abstract'):
        BaseArchStep()


def test_defaults_are_the_releases():
    """DDartsSearch() without options: leave-one-out, exact, w01 7,
    w_abl 0.5, as release d025874's defaults."""
    model = DDartsSearch(architecture=NET)
    s = model.arch_strategy
    assert type(s) is LeaveOneOutArchStep
    assert (s.w01, s.w_abl, s.ablation) == (7.0, 0.5, 'exact')
    assert (model.w01, model.w_abl, model.ablation) == (7.0, 0.5, 'exact')


def test_arch_strategy_must_be_a_strategy():
    with pytest.raises(TypeError, match='arch_strategy must build'):
        DDartsSearch(architecture=NET,
                     arch_strategy=dict(type='mmddarts.DDartsSupernet'))


EXACT = dict(type=LOO, w01=7.0, w_abl=0.5, ablation='exact')


@pytest.mark.parametrize('legacy,expected', [
    (dict(w01=10.0, w_abl=0.0, ablation='none'),
     dict(type=LOO, w01=10.0, w_abl=0.0, ablation='none')),
    (dict(ablation='reference', reference_dynamics=True),
     dict(type='mmddarts.ReferenceDynamicsArchStep', ablation='reference')),
    (dict(contribution='shapley', shapley_permutations=3,
          shapley_truncation=0.1, ablation='exact'),
     dict(type='mmddarts.ShapleyArchStep', num_permutations=3,
          truncation=0.1, ablation='exact')),
    (dict(unrolled=True, unroll_lr=0.1, unroll_eps=0.02, w01=0.0),
     dict(type='mmddarts.UnrolledArchStep', inner=dict(type=LOO, w01=0.0),
          lr=0.1, momentum=None, weight_decay=None, eps=0.02)),
    (dict(unrolled=True, contribution='shapley', ablation='reference'),
     dict(type='mmddarts.UnrolledArchStep',
          inner=dict(type='mmddarts.ShapleyArchStep', num_permutations=4,
                     truncation=0.0, ablation='reference'),
          lr=None, momentum=None, weight_decay=None, eps=0.01)),
    # old options on a new base config: objective overrides
    (dict(ablation='exact', arch_strategy=dict(type=LOO, w01=7.0,
                                               ablation='reference')),
     dict(type=LOO, w01=7.0, ablation='exact')),
    (dict(w_abl=0.0, arch_strategy=dict(type='mmddarts.UnrolledArchStep',
                                        inner=EXACT, eps=0.03)),
     dict(type='mmddarts.UnrolledArchStep', inner=dict(EXACT, w_abl=0.0),
          eps=0.03)),
    # an old variant on a new leave-one-out base keeps the base's objective
    (dict(unrolled=True, arch_strategy=EXACT),
     dict(type='mmddarts.UnrolledArchStep',
          inner=dict(type=LOO, w01=7.0, w_abl=0.5, ablation='exact'),
          lr=None, momentum=None, weight_decay=None, eps=0.01)),
])
def test_legacy_options_map_with_a_warning(legacy, expected):
    legacy = dict(legacy)
    strategy = legacy.pop('arch_strategy', None)
    with pytest.warns(MMDDartsDeprecationWarning, match='deprecated'):
        got = arch_strategy_cfg(strategy, legacy)
    assert got == expected
    with pytest.warns(MMDDartsDeprecationWarning):
        model = DDartsSearch(architecture=NET, arch_strategy=strategy,
                             **legacy)
    assert isinstance(model.arch_strategy, BaseArchStep)


def test_new_options_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter('error', MMDDartsDeprecationWarning)
        DDartsSearch(architecture=NET, arch_strategy=EXACT)
        DDartsSearch(architecture=NET)


def test_legacy_conflicts_are_errors():
    with pytest.raises(TypeError, match="unexpected keyword.*'ablaton'"):
        DDartsSearch(architecture=NET, ablaton='exact')
    shapley = dict(type='mmddarts.ShapleyArchStep')
    with pytest.raises(ValueError, match='choose the strategy'):
        DDartsSearch(architecture=NET, arch_strategy=shapley, unrolled=True)
    with pytest.raises(TypeError, match='cannot change a built'):
        DDartsSearch(architecture=NET,
                     arch_strategy=LeaveOneOutArchStep(), w01=1.0)


def test_strategy_holds_its_state_not_the_model():
    """The reference dynamics' carried gradients live in the strategy; the
    model gets no attribute from outside."""
    from mmddarts.engine.optimizers import SearchOptimWrapperConstructor
    from mmddarts.testing.search_batch import make_batch
    torch.manual_seed(0)
    model = DDartsSearch(architecture=NET, arch_strategy=dict(
        type='mmddarts.ReferenceDynamicsArchStep'))
    before = set(vars(model))
    optim = SearchOptimWrapperConstructor(dict(
        architecture=dict(optimizer=dict(type='Adam', lr=3e-3)),
        weights=dict(optimizer=dict(type='SGD', lr=0.01))))(model)
    model.train_step(dict(weights=make_batch(1), arch=make_batch(2)), optim)
    strategy = model.arch_strategy
    assert strategy.carried_alpha_grads is not None
    assert len(strategy.carried_alpha_grads) == len(model.arch_parameters())
    # the weight step's leak was carried, and it is not zero
    assert any(bool(g.abs().sum() > 0) for g in strategy.carried_alpha_grads)
    assert not hasattr(model, 'carried_alpha_grads')
    added = set(vars(model)) - before
    assert added <= {'latest_arch_logs', 'latest_arch_grads_finite'}, added


def test_switching_the_type_keeps_the_objective(repo_root):
    """``--cfg-options model.arch_strategy.type=...`` on a shipped config
    (the dict is merged, so the base's objective keys stay): every type
    takes them; an inner step's own values win over the outer ones."""
    import os.path as osp

    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(repo_root,
                                   'configs/search/ddarts_digits.py'))
    for kind in ('UnrolledArchStep', 'ShapleyArchStep',
                 'ReferenceDynamicsArchStep'):
        c = cfg.copy()
        c.merge_from_dict({'model.arch_strategy.type': f'mmddarts.{kind}'})
        s = build(c.model.arch_strategy)
        assert type(s).__name__ == kind
        assert (s.w01, s.w_abl, s.ablation) == (7.0, 0.5, 'reference')
    s = build(dict(type='mmddarts.UnrolledArchStep', w01=1.0,
                   ablation='reference',
                   inner=dict(type=LOO, ablation='exact')))
    assert (s.w01, s.w_abl, s.ablation) == (1.0, 0.5, 'exact')
    with pytest.raises(TypeError, match='cannot be set on a built inner'):
        UnrolledArchStep(inner=LeaveOneOutArchStep(), w01=1.0)
    with pytest.raises(TypeError, match=r"unexpected.*\['lr_scale'\]"):
        UnrolledArchStep(lr_scale=2)
