"""The architecture step: exact ablation gradients against brute-force
autograd, reference / none modes, BN statistics, prefix reuse, weight grads.

Tiny float64 supernets (3 cells, C=4, 8x8 images, batch 3): the brute force
builds every cell's own loss ``L_i = CE + w01 L01_i + w_abl (1 - mc_i / m)``
from full forward passes (no prefix reuse, no formula) and differentiates it
w.r.t. alpha_i alone.
"""
import copy

import pytest
import torch
import torch.nn.functional as F

from mmddarts.models.losses import ablation_loss, ablation_loss_grads
from mmddarts.models.search import DDartsSupernet
from mmddarts.models.search.ablation import ablated_losses, frozen_bn_stats

W01, WABL = 7.0, 0.5


SEED = 1234


def make_net(seed=0, **kwargs):
    torch.manual_seed(seed)
    # the formula tests need the term on whatever the default guard says
    cfg = dict(num_classes=4, channels=4, num_cells=3,
               ablation_cfg=dict(rel_eps=0.0))
    cfg.update(kwargs)
    net = DDartsSupernet(**cfg).double().train()
    with torch.no_grad():  # spread alphas so contributions differ per cell
        for a in net.arch_parameters():
            a.normal_(0, 1)
    return net


def batch(seed=1):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(3, 3, 8, 8, generator=g, dtype=torch.float64)
    y = torch.tensor([0, 3, 1])
    return x, y


def hand_l01(alpha):
    return -((1 / (1 + torch.exp(-alpha)) - 0.5)**2).mean()


def ablated_weights(net, base, rnd, j):
    w = list(base)
    for t, k in enumerate(net.owner_cells[j]):
        w[k] = rnd[j][t]
    return w


def brute_force(net, x, y, ablation, w01=W01, w_abl=WABL, seed=SEED):
    """Per-owner gradients of each owner's own loss, built naively."""
    net = copy.deepcopy(net)
    alphas = net.arch_parameters()
    gen = torch.Generator().manual_seed(seed)
    # the documented draw order: owner 0 first, one tensor per owner
    rnd = [net.draw_ablation_weights(j, gen) for j in range(net.num_owners)]
    base = net.position_weights()
    L = F.cross_entropy(net(x, weights=base), y)
    Ls = [F.cross_entropy(net(x, weights=ablated_weights(net, base, rnd, j)),
                          y) for j in range(net.num_owners)]
    mc = torch.stack([L - Lj for Lj in Ls])
    m = mc.mean()
    grads = []
    # shared sets (FairDARTS): ONE zero-one mean over all alphas
    joint = net.zero_one_reduction == 'joint'
    for i, a in enumerate(alphas):
        Li = L + w01 * (hand_l01(torch.cat([b.reshape(-1) for b in alphas]))
                        if joint else hand_l01(a))
        if ablation == 'exact':
            Li = Li + w_abl * (1 - mc[i] / m)
        grads.append(torch.autograd.grad(Li, a, retain_graph=True)[0])
    return grads, mc.detach()


OWNER_CASES = [
    dict(),                                   # D-DARTS: individual
    dict(alpha_mode='shared'),                # DARTS/FairDARTS: [0, 1, 1]
    dict(alpha_owners=[0, 1, 0]),             # DARTOpti-like sharing
    dict(mixing='softmax'),                   # with 'none'
]


@pytest.mark.parametrize('cfg', OWNER_CASES)
def test_exact_gradient_matches_brute_force(cfg):
    net = make_net(**cfg)
    x, y = batch()
    expected, mc = brute_force(net, x, y, 'exact')
    logs = net.arch_step_grads(x, y, w01=W01, w_abl=WABL, ablation='exact',
                               generator=torch.Generator().manual_seed(SEED))
    assert logs['abl_guarded'] == 0
    torch.testing.assert_close(logs['mc'], mc, rtol=0, atol=1e-12)
    for i, (a, e) in enumerate(zip(net.arch_parameters(), expected)):
        assert e.abs().max() > 1e-3  # a real, non-trivial gradient
        torch.testing.assert_close(a.grad, e, rtol=1e-9, atol=1e-12,
                                   msg=f'owner {i}')
    # logs: labl = 1 - mc/m, sums to 0; loss = mean_i L_i
    torch.testing.assert_close(logs['labl'], 1 - mc / mc.mean())
    assert abs(float(logs['labl'].sum())) < 1e-9
    l01 = torch.stack([hand_l01(a) for a in net.arch_parameters()])
    torch.testing.assert_close(logs['l01'], l01.detach())
    torch.testing.assert_close(logs['loss'],
                               logs['ce'] + W01 * l01.detach().mean(),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize('mode', ['reference', 'none'])
def test_reference_and_none_add_no_ablation_gradient(mode):
    net = make_net()
    x, y = batch()
    expected, mc = brute_force(net, x, y, mode)
    logs = net.arch_step_grads(x, y, ablation=mode,
                               generator=torch.Generator().manual_seed(SEED))
    for a, e in zip(net.arch_parameters(), expected):
        torch.testing.assert_close(a.grad, e, rtol=1e-9, atol=1e-12)
    if mode == 'reference':
        torch.testing.assert_close(logs['mc'], mc, rtol=0, atol=1e-12)
    else:
        assert 'mc' not in logs and 'labl' not in logs


def test_guard_zeroes_ablation_term():
    net = make_net()
    net.ablation_cfg['eps'] = 1e9  # |m| is always below: guard fires
    x, y = batch()
    expected, _ = brute_force(net, x, y, 'reference')
    logs = net.arch_step_grads(x, y, ablation='exact',
                               generator=torch.Generator().manual_seed(SEED))
    assert logs['abl_guarded'] == 1
    assert torch.equal(logs['labl'], torch.zeros(3, dtype=torch.float64))
    for a, e in zip(net.arch_parameters(), expected):
        torch.testing.assert_close(a.grad, e, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize('cfg', OWNER_CASES[:2])
def test_relative_guard_fires_exactly_at_its_threshold(cfg):
    """|m| <= rel_eps * mean|mc| switches the term off; just above, the
    exact gradient is back. The ratio comes from a naive computation."""
    x, y = batch()
    _, mc = brute_force(make_net(**cfg), x, y, 'exact')
    ratio = float(mc.mean().abs() / mc.abs().mean())
    assert 0 < ratio < 1
    for rel_eps, guarded in ((ratio * 1.001, True), (ratio * 0.999, False)):
        net = make_net(ablation_cfg=dict(rel_eps=rel_eps), **cfg)
        expected, _ = brute_force(net, x, y,
                                  'reference' if guarded else 'exact')
        logs = net.arch_step_grads(
            x, y, ablation='exact',
            generator=torch.Generator().manual_seed(SEED))
        assert logs['abl_guarded'] == int(guarded)
        for a, e in zip(net.arch_parameters(), expected):
            torch.testing.assert_close(a.grad, e, rtol=1e-9, atol=1e-12)


def test_relative_guard_on_hand_values():
    from mmddarts.models.losses.ablation_loss import ablation_guard
    mc = torch.tensor([1.0, -1.0, 0.1])  # m = 0.0333, mean|mc| = 0.7
    assert ablation_guard(mc, rel_eps=0.05) == (mc.mean(), True)
    # the guard is a 0-d bool tensor (no host read inside the step)
    assert not bool(ablation_guard(mc, rel_eps=0.04)[1])
    assert not bool(ablation_guard(mc)[1])  # the absolute floor alone
    labl, _, guarded = ablation_loss(mc, rel_eps=0.05)
    assert guarded and torch.equal(labl, torch.zeros(3))
    with pytest.raises(ValueError, match=r'ablation_cfg\.rel_eps'):
        DDartsSupernet(num_classes=2, channels=4, num_cells=3,
                       ablation_cfg=dict(rel_eps=1.0))


def test_loss_scale_and_accumulation():
    net = make_net()
    x, y = batch()
    expected, _ = brute_force(net, x, y, 'exact')
    prior = [torch.full_like(a, 0.25) for a in net.arch_parameters()]
    for a, p in zip(net.arch_parameters(), prior):
        a.grad = p.clone()
    net.arch_step_grads(x, y, ablation='exact', loss_scale=8.0,
                        generator=torch.Generator().manual_seed(SEED))
    for a, p, e in zip(net.arch_parameters(), prior, expected):
        torch.testing.assert_close(a.grad, p + 8.0 * e, rtol=1e-9,
                                   atol=1e-11)


def test_weight_grads_untouched():
    net = make_net()
    x, y = batch()
    params = net.weight_parameters()
    before = {}
    for n, p in enumerate(params):
        if n % 2:  # half with an existing grad, half with None
            p.grad = torch.full_like(p, float(n))
            before[n] = p.grad.clone()
    net.arch_step_grads(x, y, ablation='exact')
    for n, p in enumerate(params):
        if n % 2:
            assert torch.equal(p.grad, before[n])
        else:
            assert p.grad is None


def test_bn_stats_updated_once_not_by_ablation():
    net = make_net()
    x, y = batch()
    plain = copy.deepcopy(net)
    plain(x)  # one plain training forward: what the arch step may do
    net.arch_step_grads(x, y, ablation='exact')
    bufs = dict(net.named_buffers())
    plain_bufs = dict(plain.named_buffers())
    assert bufs.keys() == plain_bufs.keys() and len(bufs) > 10
    for k in bufs:
        assert torch.equal(bufs[k], plain_bufs[k]), k
    assert all(m.track_running_stats for m in net.modules()
               if isinstance(m, torch.nn.BatchNorm2d))


def test_frozen_bn_stats_restores_on_error():
    net = make_net()
    x, _ = batch()
    state = copy.deepcopy(net.state_dict())
    with pytest.raises(RuntimeError, match='boom'):
        with frozen_bn_stats(net):
            net(x)
            raise RuntimeError('boom')
    for k, v in net.state_dict().items():
        assert torch.equal(v, state[k]), k
    assert all(m.track_running_stats for m in net.modules()
               if isinstance(m, torch.nn.BatchNorm2d))


@pytest.mark.parametrize('cfg', [dict(), dict(alpha_owners=[1, 0, 1])])
def test_prefix_reuse_equals_full_recompute(cfg):
    net = make_net(**cfg)
    x, y = batch()
    base = net.position_weights()
    stem = net.stem_forward(x)
    feats = [stem]
    net.cells_forward(stem, stem, base, record=feats)
    losses, _, _ = ablated_losses(net, feats, base, y,
                                  torch.Generator().manual_seed(SEED))
    gen = torch.Generator().manual_seed(SEED)
    rnd = [net.draw_ablation_weights(j, gen) for j in range(net.num_owners)]
    with torch.no_grad():
        full = torch.stack([
            F.cross_entropy(net(x, weights=ablated_weights(net, base, rnd, j)),
                            y) for j in range(net.num_owners)])
    assert (losses - full).abs().max() <= 1e-12


def test_ablation_loss_formula_on_toy_functions():
    # L(a) = sum_k c_k * a_k^2 * (1 + a_{k+1}); L_j = L with a_j -> r_j.
    torch.manual_seed(0)
    n = 4
    c = torch.rand(n, dtype=torch.float64) + 0.5
    a = torch.randn(n, dtype=torch.float64, requires_grad=True)
    r = torch.rand(n, dtype=torch.float64)

    def loss(v):
        return (c * v**2 * (1 + v.roll(-1))).sum()

    def ablate(j):
        return torch.cat([a[:j], r[j:j + 1], a[j + 1:]])

    L = loss(a)
    Ls = [loss(ablate(j)) for j in range(n)]
    mc = torch.stack([L - Lj for Lj in Ls])
    labl, m, guarded = ablation_loss(mc.detach())
    torch.testing.assert_close(labl, -(mc.detach() - m) / m)
    assert not guarded
    brute = [torch.autograd.grad(1 - mc[i] / mc.mean(), a,
                                 retain_graph=True)[0][i] for i in range(n)]
    g = torch.autograd.grad(L, a, retain_graph=True)[0]
    S = torch.autograd.grad(sum(Ls), a, retain_graph=True)[0]
    mine = ablation_loss_grads(mc.detach(), list(g), list(S))
    torch.testing.assert_close(torch.stack(mine), torch.stack(brute))
    # guard: |m| <= eps gives zeros
    zero = ablation_loss_grads(torch.tensor([1., -1.]),
                               [torch.ones(2)] * 2, [torch.ones(2)] * 2)
    assert all(torch.equal(z, torch.zeros(2)) for z in zero)


def test_data_parallel_reduce_gives_global_objective_gradient():
    """Two simulated ranks with their own batches and the same ablation
    draws: with ``reduce`` each rank's alpha grads are the exact gradient of
    the objective built on the mean over ranks of every loss (brute force),
    not the mean of the two per-rank ablation gradients."""
    net = make_net()
    batches = [batch(1), batch(2)]
    # brute force: L, L_j = mean over ranks of per-rank losses (each rank's
    # BN normalises its own batch); Labl_i from the averaged mc.
    ref = copy.deepcopy(net)
    alphas = ref.arch_parameters()
    gen = torch.Generator().manual_seed(SEED)
    rnd = [ref.draw_ablation_weights(j, gen) for j in range(ref.num_owners)]
    base = ref.position_weights()

    def mean_loss(w):
        return sum(F.cross_entropy(ref(x, weights=w), y)
                   for x, y in batches) / 2

    L = mean_loss(base)
    mc = torch.stack([L - mean_loss(ablated_weights(ref, base, rnd, j))
                      for j in range(ref.num_owners)])
    expected = [torch.autograd.grad(
        L + W01 * hand_l01(a) + WABL * (1 - mc[i] / mc.mean()), a,
        retain_graph=True)[0] for i, a in enumerate(alphas)]

    # rank 1 runs first and records what it would contribute; rank 0 then
    # averages its own tensors with those (an all-reduce seen from rank 0).
    sent = []
    rank1 = copy.deepcopy(net)
    rank1.arch_step_grads(*batches[1], ablation='exact',
                          generator=torch.Generator().manual_seed(SEED),
                          reduce=lambda ts: sent.extend(t.clone()
                                                        for t in ts))

    def all_reduce_mean(tensors):
        assert len(tensors) == len(sent)
        for t, o in zip(tensors, sent):
            t.copy_((t + o) / 2)

    logs = net.arch_step_grads(*batches[0], ablation='exact',
                               generator=torch.Generator().manual_seed(SEED),
                               reduce=all_reduce_mean)
    torch.testing.assert_close(logs['mc'], mc.detach(), rtol=0, atol=1e-12)
    torch.testing.assert_close(logs['ce'], L.detach(), rtol=0, atol=1e-12)
    for i, (a, e) in enumerate(zip(net.arch_parameters(), expected)):
        torch.testing.assert_close(a.grad, e, rtol=1e-9, atol=1e-12,
                                   msg=f'owner {i}')
    # the old way (average the finished per-rank grads) differs
    per_rank = []
    for x, y in batches:
        r = copy.deepcopy(net)
        for a in r.arch_parameters():
            a.grad = None
        r.arch_step_grads(x, y, ablation='exact',
                          generator=torch.Generator().manual_seed(SEED))
        per_rank.append([a.grad for a in r.arch_parameters()])
    naive = [(g0 + g1) / 2 for g0, g1 in zip(*per_rank)]
    assert max((n - e).abs().max() for n, e in zip(naive, expected)) > 1e-4


def test_ablation_mode_error():
    net = make_net()
    x, y = batch()
    with pytest.raises(ValueError, match='unknown ablation mode'):
        net.arch_step_grads(x, y, ablation='shapley')
