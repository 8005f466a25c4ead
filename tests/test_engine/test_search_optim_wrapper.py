"""Multi-tensor optimizers and clipping of the search (issue 9): the same
numbers as torch's per-parameter loop, in float64, over several steps."""
import pytest
import torch

from mmddarts.engine.optimizers import (SearchOptimWrapper,
                                        SearchOptimWrapperConstructor)
from mmddarts.engine.optimizers.search_optim_wrapper import \
    multi_tensor_options
from mmddarts.profiling.op_counter import OpCounter


def _params(seed=0):
    g = torch.Generator().manual_seed(seed)
    shapes = [(5, 7), (4, 3, 3, 3), (4, ), (10, 4)]
    return [torch.randn(s, generator=g, dtype=torch.float64)
            for s in shapes]


def _run(optim_cls, kwargs, steps=6, clip=None, clip_foreach=None):
    params = [torch.nn.Parameter(p) for p in _params()]
    opt = optim_cls(params, **kwargs)
    g = torch.Generator().manual_seed(1)
    norms = []
    for _ in range(steps):
        for p in params:
            p.grad = torch.randn(p.shape, generator=g, dtype=p.dtype) * 3
        if clip:
            norms.append(torch.nn.utils.clip_grad_norm_(
                params, clip, foreach=clip_foreach))
        opt.step()
    return [p.detach() for p in params], opt, norms


@pytest.mark.parametrize('optim_cls,kwargs', [
    (torch.optim.Adam, dict(lr=3e-3, betas=(0.9, 0.999),
                            weight_decay=1e-3)),
    (torch.optim.AdamW, dict(lr=3e-3, weight_decay=1e-2)),
    (torch.optim.SGD, dict(lr=0.005, momentum=0.9, weight_decay=3e-4)),
    (torch.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
    (torch.optim.SGD, dict(lr=0.1)),
])
@pytest.mark.parametrize('mode', ['foreach', 'fused'])
def test_multi_tensor_matches_the_loop(optim_cls, kwargs, mode):
    loop, loop_opt, loop_norms = _run(
        optim_cls, dict(kwargs, foreach=False), clip=5.0, clip_foreach=False)
    multi, multi_opt, norms = _run(
        optim_cls, dict(kwargs, **{mode: True}), clip=5.0, clip_foreach=True)
    for a, b in zip(loop, multi):
        torch.testing.assert_close(b, a, rtol=1e-12, atol=1e-12)
    for a, b in zip(loop_norms, norms):
        torch.testing.assert_close(b, a, rtol=1e-12, atol=0)
    # the optimizer states agree too (a resumed search continues alike)
    for p_loop, p_multi in zip(loop_opt.param_groups[0]['params'],
                               multi_opt.param_groups[0]['params']):
        s1, s2 = loop_opt.state[p_loop], multi_opt.state[p_multi]
        for key in s1:
            if key == 'step':
                assert float(s1[key]) == float(s2[key])
            elif s1[key] is not None:
                torch.testing.assert_close(s2[key], s1[key], rtol=1e-12,
                                           atol=1e-12)


def test_clip_norm_by_hand():
    """foreach clipping: norm = sqrt(sum g^2), grads scaled by
    max_norm / (norm + 1e-6) when above max_norm."""
    params = [torch.nn.Parameter(p) for p in _params()]
    for i, p in enumerate(params):
        p.grad = torch.full_like(p, float(i + 1))
    want = sum(float(p.numel()) * (i + 1)**2
               for i, p in enumerate(params))**0.5
    opt = torch.optim.SGD(params, lr=0.0)
    wrapper = SearchOptimWrapper(opt, clip_grad=dict(max_norm=2.0))
    assert wrapper.clip_grad_kwargs['foreach'] is True
    with OpCounter() as c:
        wrapper.step()
    assert c.syncs == 0
    norm = wrapper.pop_grad_norm()
    assert float(norm) == pytest.approx(want, rel=1e-14)
    coef = 2.0 / (want + 1e-6)
    for i, p in enumerate(params):
        torch.testing.assert_close(
            p.grad, torch.full_like(p, (i + 1) * coef), rtol=1e-14, atol=0)
    assert wrapper.pop_grad_norm() is None


def test_options_chosen_by_the_constructor():
    net = torch.nn.Linear(3, 2)
    params = list(net.parameters())
    assert multi_tensor_options(dict(type='Adam'), torch.optim.Adam,
                                params)['fused'] is True  # CPU has fused
    assert multi_tensor_options(dict(type='RMSprop'), torch.optim.RMSprop,
                                params) == dict(type='RMSprop', foreach=True)
    # explicit choices are kept: foreach=False is the per-parameter loop
    for given in (dict(foreach=False), dict(fused=False),
                  dict(foreach=True)):
        cfg = dict(type='Adam', **given)
        assert multi_tensor_options(cfg, torch.optim.Adam, params) == cfg
    # integer parameters cannot be fused
    ints = [torch.zeros(3, dtype=torch.long)]
    assert 'fused' not in multi_tensor_options(
        dict(type='SGD'), torch.optim.SGD, ints)


def test_constructor_builds_search_wrappers():
    class _Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Parameter(torch.zeros(3))
            self.w = torch.nn.Linear(3, 3)

        def arch_parameters(self):
            return [self.a]

        def weight_parameters(self):
            return list(self.w.parameters())

    wrappers = SearchOptimWrapperConstructor(dict(
        architecture=dict(optimizer=dict(type='Adam', lr=3e-3)),
        weights=dict(optimizer=dict(type='SGD', lr=0.1, foreach=False),
                     clip_grad=dict(max_norm=5.0))))(_Model())
    arch, weights = wrappers['architecture'], wrappers['weights']
    assert isinstance(arch, SearchOptimWrapper)
    assert isinstance(weights, SearchOptimWrapper)
    assert arch.optimizer.defaults['fused'] is True
    assert weights.optimizer.defaults['foreach'] is False  # as configured
    assert not weights.optimizer.defaults.get('fused')
    assert weights.clip_grad_kwargs == dict(max_norm=5.0, foreach=True)
