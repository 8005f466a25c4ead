"""Per-member paramwise_cfg of SearchOptimWrapperConstructor."""
import pytest
import torch

pytest.importorskip('mmpretrain')

from mmddarts.engine.optimizers import \
    SearchOptimWrapperConstructor  # noqa: E402
from mmddarts.registry import MODELS  # noqa: E402

WD, LR = 3e-4, 0.005


def tiny_search():
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='mmddarts.DDartsSearch',
        architecture=dict(type='mmddarts.DDartsSupernet', num_classes=3,
                          channels=4, num_cells=3, steps=2),
        arch_strategy=dict(type='mmddarts.LeaveOneOutArchStep',
                           ablation='none')))


def cfg(weights_paramwise=None, **top):
    weights = dict(optimizer=dict(type='SGD', lr=LR, momentum=0.9,
                                  weight_decay=WD))
    if weights_paramwise is not None:
        weights['paramwise_cfg'] = weights_paramwise
    return dict(architecture=dict(optimizer=dict(type='Adam', lr=3e-3,
                                                 weight_decay=1e-3)),
                weights=weights, **top)


def test_top_level_paramwise_cfg_points_to_the_members():
    with pytest.raises(ValueError, match='optim_wrapper.weights.paramwise'):
        SearchOptimWrapperConstructor(cfg(), paramwise_cfg=dict(
            norm_decay_mult=0.))


def test_weights_paramwise_cfg_groups():
    model = tiny_search()
    wrappers = SearchOptimWrapperConstructor(cfg(dict(
        norm_decay_mult=0.,
        custom_keys={'classifier': dict(lr_mult=0.1)})))(model)
    # expected options per parameter, from the module types and names
    expected = {}
    for mname, mod in model.named_modules():
        for pname, p in mod.named_parameters(recurse=False):
            norm = isinstance(mod, torch.nn.modules.batchnorm._BatchNorm)
            expected[id(p)] = (LR * (0.1 if 'classifier' in mname else 1),
                               0. if norm else WD)
    groups = wrappers['weights'].optimizer.param_groups
    got = {id(p): (g['lr'], g['weight_decay']) for g in groups
           for p in g['params']}
    weights = list(model.weight_parameters())
    assert set(got) == {id(p) for p in weights}
    for p in weights:
        assert got[id(p)] == pytest.approx(expected[id(p)])
    # the test model has both kinds of special parameters
    assert any(v[1] == 0. for k, v in got.items())
    assert any(v[0] == pytest.approx(LR * 0.1) for v in got.values())
    # the architecture optimizer is untouched: one group, all the alphas
    (arch, ) = wrappers['architecture'].optimizer.param_groups
    assert [id(p) for p in arch['params']] == [
        id(p) for p in model.arch_parameters()]
    assert arch['lr'] == 3e-3 and arch['weight_decay'] == 1e-3


def test_norm_decay_mult_zero_skips_decay_in_a_step():
    model = tiny_search()
    opt = SearchOptimWrapperConstructor(cfg(dict(norm_decay_mult=0.)))(
        model)['weights'].optimizer
    bn = model.architecture.stem[1].weight
    conv = model.architecture.stem[0].weight
    bn0, conv0 = bn.detach().clone(), conv.detach().clone()
    for p in model.weight_parameters():
        p.grad = torch.zeros_like(p)
    opt.step()  # the only force is weight decay: p -= lr * wd * p
    assert torch.equal(bn.detach(), bn0)
    assert torch.allclose(conv.detach(), conv0 * (1 - LR * WD))


def test_member_paramwise_errors_name_the_member():
    bad = cfg(dict(norm_decay_mult=0.))
    del bad['weights']['optimizer']['weight_decay']
    with pytest.raises(ValueError, match=r'optim_wrapper\.weights\.'):
        SearchOptimWrapperConstructor(bad)(tiny_search())
