"""The ablation guard on the device (issue 9) gives the values of the former
python-branch implementation, transcribed below, in float64 - with the guard
firing (absolute, relative, m exactly 0) and not - and reads nothing on the
host."""
import pytest
import torch

from mmddarts.models.losses.ablation_loss import (ablation_guard,
                                                  ablation_loss,
                                                  ablation_loss_grads)
from mmddarts.models.search.shapley import shapley_loss_grads
from mmddarts.profiling.op_counter import OpCounter


# --- the former implementation (mmddarts 35dfc76), verbatim in substance
def old_guard(mc, eps=1e-8, rel_eps=0.0):
    m = mc.mean()
    floor = eps
    if rel_eps:
        floor = max(float(eps), float(rel_eps * mc.abs().mean()))
    return m, bool(m.abs() <= floor)


def old_loss(mc, eps=1e-8, rel_eps=0.0):
    m, guarded = old_guard(mc, eps, rel_eps)
    if guarded:
        return torch.zeros_like(mc), m, True
    return 1 - mc / m, m, False


def old_grads(mc, g, S, eps=1e-8, rel_eps=0.0):
    n = len(g)
    m, guarded = old_guard(mc, eps, rel_eps)
    if guarded:
        return [torch.zeros_like(gi) for gi in g]
    m2 = m * m
    return [((mc[i] - m) * g[i] - (mc[i] / n) * S[i]) / m2 for i in range(n)]


def old_shapley_grads(phi, T, D, eps=1e-8, rel_eps=0.0):
    n = len(T)
    m, guarded = old_guard(phi, eps, rel_eps)
    if guarded:
        return [torch.zeros_like(t) for t in T]
    return [-T[i] / m + phi[i] * D[i] / (m * m) for i in range(n)]


CASES = [
    # mc, eps, rel_eps
    ([0.3, -0.1, 0.2], 1e-8, 0.0),          # not guarded
    ([0.3, -0.1, 0.2], 1e9, 0.0),           # absolute guard fires
    ([1.0, -1.0, 0.1], 1e-8, 0.05),         # relative guard fires
    ([1.0, -1.0, 0.1], 1e-8, 0.04),         # relative guard does not
    ([0.5, -0.5, 0.0], 0.0, 0.0),           # m == 0 exactly: fires
    ([0.5, -0.25, -0.25], 1e-8, 0.0),       # m == 0 exactly
    ([2e-9, -1e-9, 2e-9], 1e-9, 0.0),       # near the floor: fires
]


@pytest.mark.parametrize('dtype', [torch.float64, torch.float32])
@pytest.mark.parametrize('values,eps,rel_eps', CASES)
def test_same_values_as_the_python_branches(values, eps, rel_eps, dtype):
    mc = torch.tensor(values, dtype=dtype)
    g = [torch.randn(4, 3, dtype=dtype, generator=torch.Generator()
                     .manual_seed(i)) for i in range(3)]
    S = [torch.randn(4, 3, dtype=dtype, generator=torch.Generator()
                     .manual_seed(10 + i)) for i in range(3)]
    with OpCounter() as c:
        m, guarded = ablation_guard(mc, eps, rel_eps)
        labl, m2, guarded2 = ablation_loss(mc, eps, rel_eps)
        grads = ablation_loss_grads(mc, g, S, eps, rel_eps)
        sgrads = shapley_loss_grads(mc, g, S, eps, rel_eps)
    assert c.syncs == 0
    om, oguarded = old_guard(mc, eps, rel_eps)
    assert isinstance(guarded, torch.Tensor) and guarded.dtype == torch.bool
    assert guarded.dim() == 0 and bool(guarded) == oguarded
    assert bool(guarded2) == oguarded and torch.equal(m, om)
    olabl, om2, _ = old_loss(mc, eps, rel_eps)
    assert torch.equal(labl, olabl) and torch.equal(m2, om2)
    for new, old in zip(grads, old_grads(mc, g, S, eps, rel_eps)):
        assert torch.equal(new, old)
    for new, old in zip(sgrads, old_shapley_grads(mc, g, S, eps, rel_eps)):
        assert torch.equal(new, old)
    assert torch.isfinite(labl).all()  # m == 0: where() drops the inf


def test_guard_by_hand():
    """|m| <= max(eps, rel_eps * mean|mc|) with numbers worked out by
    hand: mc = (1, -1, 0.1): m = 0.0333.., mean|mc| = 0.7."""
    mc = torch.tensor([1.0, -1.0, 0.1], dtype=torch.float64)
    assert bool(ablation_guard(mc, rel_eps=0.05)[1])      # 0.0333 <= 0.035
    assert not bool(ablation_guard(mc, rel_eps=0.047)[1])  # > 0.0329
    assert bool(ablation_guard(mc, eps=0.034)[1])
    labl = ablation_loss(mc)[0]
    want = [1 - 1.0 / (0.1 / 3), 1 + 1.0 / (0.1 / 3), 1 - 0.1 / (0.1 / 3)]
    assert labl.tolist() == pytest.approx(want, rel=1e-12)
