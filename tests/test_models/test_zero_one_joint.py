"""The zero-one loss of shared alpha sets is FairDARTS' ONE mean over all
alphas; D-DARTS' individual cells (and DARTOpti's owners) keep one mean per
owner. Expected gradients come from FairDARTS' formula typed in from its
architect.py, ``-mse_loss(cat(sigmoid(a_normal), sigmoid(a_reduce)), 0.5)``,
and from brute-force autograd of the CE on the same network, never from the
code under test."""
import copy

import pytest
import torch
import torch.nn.functional as F

from mmddarts.models.losses.zero_one_loss import zero_one_loss_joint
from mmddarts.models.search import DDartsSupernet

W01 = 10.0


def hand_alphas(n, shape=(5, 7)):
    """Distinct hand-made alphas: owner j gets a ramp offset by j."""
    numel = shape[0] * shape[1]
    return [(torch.linspace(-2.0, 2.0, numel) + 0.3 * j).reshape(shape)
            for j in range(n)]


def tiny(**kw):
    torch.manual_seed(0)
    net = DDartsSupernet(num_classes=3, channels=4, num_cells=3, steps=2,
                         mixing='sigmoid', **kw)
    return net.double().train()


def batch():
    g = torch.Generator().manual_seed(1)
    return (torch.randn(4, 3, 8, 8, generator=g, dtype=torch.float64),
            torch.tensor([0, 1, 2, 1]))


def fairdarts_l01(a_normal, a_reduce):
    """FairDARTS' architect.py, verbatim in meaning."""
    aux = torch.cat([torch.sigmoid(a_normal), torch.sigmoid(a_reduce)], dim=0)
    return -F.mse_loss(aux, torch.tensor(0.5, dtype=aux.dtype))


def ce_grads(net, x, y):
    """dCE/dalpha of a deep copy, by plain autograd."""
    ref = copy.deepcopy(net)
    loss = F.cross_entropy(ref(x), y)
    return [g.detach() for g in torch.autograd.grad(
        loss, ref.arch_parameters())]


def alpha_grads(net, x, y, w01):
    for a in net.arch_parameters():
        a.grad = None
    net.arch_step_grads(x, y, w01=w01, w_abl=0.0, ablation='none')
    return [a.grad.detach().clone() for a in net.arch_parameters()]


def test_shared_sets_use_fairdarts_one_mean():
    net = tiny(alpha_mode='shared', init_alphas=hand_alphas(2))
    assert net.zero_one_reduction == 'joint'
    x, y = batch()
    a_n, a_r = [a.detach().clone().requires_grad_()
                for a in net.arch_parameters()]
    want_l01 = torch.autograd.grad(fairdarts_l01(a_n, a_r), [a_n, a_r])
    ce = ce_grads(net, x, y)
    got = alpha_grads(net, x, y, W01)
    for g, c, l in zip(got, ce, want_l01):
        torch.testing.assert_close(g, c + W01 * l, rtol=1e-10, atol=1e-12)
    # the joint loss itself is FairDARTS' value
    assert float(zero_one_loss_joint(net.arch_parameters())) == \
        pytest.approx(float(fairdarts_l01(a_n, a_r)), rel=1e-12)


def test_individual_cells_keep_one_mean_per_cell():
    """D-DARTS: cell i's objective holds its own -mse(sigmoid(a_i), 0.5)."""
    net = tiny(alpha_mode='individual', init_alphas=hand_alphas(3))
    assert net.zero_one_reduction == 'owner'
    x, y = batch()
    ce = ce_grads(net, x, y)
    got = alpha_grads(net, x, y, 7.0)
    for a, g, c in zip(net.arch_parameters(), got, ce):
        a = a.detach().clone().requires_grad_()
        l01 = -F.mse_loss(torch.sigmoid(a), torch.tensor(0.5).double())
        want = c + 7.0 * torch.autograd.grad(l01, a)[0]
        torch.testing.assert_close(g, want, rtol=1e-10, atol=1e-12)


def test_explicit_owners_are_per_owner_and_option_is_checked():
    """DARTOpti-style owners: the authors give every owning cell its own
    loss and Adam, so each owner keeps its full w01 term."""
    net = tiny(alpha_owners=[0, 1, 0], init_alphas=hand_alphas(2))
    assert net.zero_one_reduction == 'owner'
    x, y = batch()
    ce = ce_grads(net, x, y)
    got = alpha_grads(net, x, y, W01)
    for a, g, c in zip(net.arch_parameters(), got, ce):
        a = a.detach().clone().requires_grad_()
        l01 = -(torch.sigmoid(a) - 0.5).pow(2).mean()
        torch.testing.assert_close(
            g, c + W01 * torch.autograd.grad(l01, a)[0], rtol=1e-10,
            atol=1e-12)
    with pytest.raises(ValueError, match='zero_one_reduction'):
        tiny(alpha_mode='shared', zero_one_reduction='sum')
