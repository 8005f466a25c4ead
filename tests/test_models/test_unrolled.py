"""The second-order (unrolled) architecture step against exact double
back-propagation through the virtual weight step.

The exact gradient is built independently: ``w'(alpha)`` with
``create_graph=True`` (so ``dw'/dalpha`` is kept), the validation CE run on
``w'`` by ``torch.func.functional_call``, and ``torch.autograd.grad`` of
every owner's loss w.r.t. its own alpha; the ablation term (leave-one-out)
is built from full forward passes at fixed ``w'`` (its documented
definition), L01 by hand. Tiny float64 supernets (3 cells, C=4, 8x8).
"""
import copy

import pytest
import torch
import torch.nn.functional as F
from torch.func import functional_call

from mmddarts.models.search import DDartsSupernet
from mmddarts.models.search.ablation import arch_step_grads
from mmddarts.models.search.unrolled import unrolled_arch_step_grads

from mmddarts.testing.second_order import (LR, MOM, SEED, W01, WABL, WD,
                                           exact_second_order, hand_l01,
                                           max_err)
from mmddarts.testing.toy_supernet import make_net  # noqa: F401
from mmddarts.testing.two_ranks import run_two_ranks


def batch(seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(3, 3, 6, 6, generator=g, dtype=torch.float64)
    y = torch.randint(0, 4, (3, ), generator=g)
    return x, y


def buffers_for(net, seed=7):
    g = torch.Generator().manual_seed(seed)
    return [0.1 * torch.randn(p.shape, generator=g, dtype=p.dtype)
            for p in net.weight_parameters()]


def run_unrolled(net, val, train, bufs, ablation, eps, lr=LR, **kw):
    net = copy.deepcopy(net)
    logs = unrolled_arch_step_grads(
        net, *val, *train, lr=lr, momentum=MOM, weight_decay=WD,
        momentum_buffers=bufs, eps=eps, w01=W01, w_abl=WABL,
        ablation=ablation, generator=torch.Generator().manual_seed(SEED),
        **kw)
    return [a.grad.clone() for a in net.arch_parameters()], logs


def smooth(net):
    """The same supernet with its kinks removed (ReLU -> SiLU, max pool ->
    avg pool): the finite difference then has its textbook O(r^2) error.
    ReLU nets are piecewise smooth; a perturbation ``r v`` that crosses a
    kink makes the difference measure a jump, not the Hessian."""
    for name, mod in list(net.named_modules()):
        for cname, child in list(mod.named_children()):
            if isinstance(child, torch.nn.ReLU):
                setattr(mod, cname, torch.nn.SiLU())
            elif isinstance(child, torch.nn.MaxPool2d):
                setattr(mod, cname, torch.nn.AvgPool2d(
                    child.kernel_size, child.stride, child.padding))
    return net


def eps_errors(net, val, train, bufs, eps_list, ablation='exact'):
    exact = exact_second_order(net, val, train, bufs, ablation)
    first, _ = run_unrolled(net, val, train, bufs, ablation, 1e-2, lr=0.0)
    correction = max_err(first, exact)  # size of the second-order term
    errs = []
    for eps in eps_list:
        got, logs = run_unrolled(net, val, train, bufs, ablation, eps)
        assert logs['abl_guarded'] == 0 and logs['unroll_r'] > 0
        errs.append(max_err(got, exact))
    return correction, errs


def test_converges_to_double_backprop_as_eps_shrinks():
    """D-DARTS (individual, sigmoid, exact ablation) on the smoothed toy:
    the error falls ~100x per 10x smaller eps (central difference, O(r^2))
    (measured: 8.4e-4, 8.4e-6, 8.4e-8 for a second-order term of 9.5)."""
    net = smooth(make_net())
    val, train = batch(1), batch(2)
    eps_list = (1e-2, 1e-3, 1e-4)
    correction, errs = eps_errors(net, val, train, buffers_for(net),
                                  eps_list)
    print('smooth toy: correction', correction, 'errors', errs)
    assert correction > 1e-2  # the second-order term is not negligible
    assert errs[0] < 0.01 * correction
    for a, b in zip(errs, errs[1:]):
        assert a / 300 < b < a / 30, errs
    assert errs[-1] < 1e-5 * correction


def test_relu_supernet_matches_double_backprop_below_the_kinks():
    """The real (ReLU) supernet: at DARTS' eps = 0.01 the perturbation
    crosses ReLU / max-pool kinks and the difference is far from the
    double-backprop value; once the perturbation is below the distance to
    the nearest kink it agrees to ~1e-9 (float64 round-off then grows as
    1/eps)."""
    net = make_net()
    val, train = batch(1), batch(2)
    correction, errs = eps_errors(net, val, train, buffers_for(net),
                                  (1e-2, 1e-6))
    print('ReLU toy: correction', correction, 'errors', errs)
    assert errs[0] > 0.1 * correction  # the kink regime
    assert errs[1] < 1e-7 * correction


MODE_CASES = [
    (dict(alpha_mode='shared'), 'none'),          # DARTS / FairDARTS owners
    (dict(alpha_owners=[0, 1, 0]), 'exact'),      # DARTOpti-style genes
    (dict(mixing='softmax'), 'exact'),            # softmax with 'none'
]


@pytest.mark.parametrize('cfg,ablation', MODE_CASES)
def test_every_supernet_mode_matches_double_backprop(cfg, ablation):
    net = make_net(**cfg)
    val, train = batch(3), batch(4)
    bufs = buffers_for(net)
    exact = exact_second_order(net, val, train, bufs, ablation)
    got, _ = run_unrolled(net, val, train, bufs, ablation, 1e-6)
    scale = max(float(e.abs().max()) for e in exact)
    assert max_err(got, exact) < 1e-6 * max(scale, 1.0)


def test_unroll_lr_zero_is_first_order():
    net = make_net()
    val, train = batch(1), batch(2)
    first = copy.deepcopy(net)
    arch_step_grads(first, *val, w01=W01, w_abl=WABL, ablation='exact',
                    generator=torch.Generator().manual_seed(SEED))
    got, logs = run_unrolled(net, val, train, buffers_for(net), 'exact',
                             1e-2, lr=0.0)
    for g, a in zip(got, first.arch_parameters()):
        torch.testing.assert_close(g, a.grad, rtol=1e-12, atol=1e-14)
    assert logs['unroll_r'] == 0


def test_real_weights_grads_and_bn_stats_untouched():
    net = make_net()
    val, train = batch(1), batch(2)
    params = net.weight_parameters()
    for n, p in enumerate(params):
        if n % 2:
            p.grad = torch.full_like(p, float(n))
    state = copy.deepcopy(net.state_dict())
    grads = [None if p.grad is None else p.grad.clone() for p in params]
    data_ptrs = [p.data_ptr() for p in params]
    bufs = buffers_for(net)
    bufs_before = [b.clone() for b in bufs]
    unrolled_arch_step_grads(
        net, *val, *train, lr=LR, momentum=MOM, weight_decay=WD,
        momentum_buffers=bufs, ablation='exact',
        generator=torch.Generator().manual_seed(SEED))
    for k, v in net.state_dict().items():
        if not k.startswith('alphas'):
            assert torch.equal(v, state[k]), k  # weights and BN buffers
    assert [p.data_ptr() for p in params] == data_ptrs
    for p, g in zip(params, grads):
        assert (p.grad is None) if g is None else torch.equal(p.grad, g)
    for b, c in zip(bufs, bufs_before):
        assert torch.equal(b, c)
    assert all(m.track_running_stats for m in net.modules()
               if isinstance(m, torch.nn.BatchNorm2d))


def test_loss_scale_scales_every_term():
    net = make_net()
    val, train = batch(1), batch(2)
    bufs = buffers_for(net)
    plain, _ = run_unrolled(net, val, train, bufs, 'exact', 1e-3)
    scaled, _ = run_unrolled(net, val, train, bufs, 'exact', 1e-3,
                             loss_scale=64.0)
    for p, s in zip(plain, scaled):
        torch.testing.assert_close(s, 64.0 * p, rtol=1e-8, atol=1e-10)


def test_data_parallel_reduce_is_the_global_objective():
    """Two simulated ranks: the virtual step uses the mean of both ranks'
    weight gradients, and the alpha gradient is the exact second-order
    gradient of the rank-averaged objective (double backprop)."""
    net = make_net()
    vals, trains = [batch(1), batch(11)], [batch(2), batch(12)]
    bufs = buffers_for(net)
    ref = copy.deepcopy(net)
    names, ws = zip(*ref.named_weight_parameters())
    lt = sum(F.cross_entropy(ref(x), y) for x, y in trains) / 2
    gw = torch.autograd.grad(lt, ws, create_graph=True, allow_unused=True)
    wv = [w - LR * (MOM * b + (torch.zeros_like(w) if g is None else g) +
                    WD * w) for w, g, b in zip(ws, gw, bufs)]
    ce = sum(F.cross_entropy(functional_call(ref, dict(zip(names, wv)),
                                             (x, )), y) for x, y in vals) / 2
    d_ce = torch.autograd.grad(ce, ref.arch_parameters())
    expected = [d + torch.autograd.grad(W01 * hand_l01(a), a)[0]
                for d, a in zip(d_ce, ref.arch_parameters())]

    nets = [net, copy.deepcopy(net)]
    run_two_ranks([
        lambda reduce, r=r: unrolled_arch_step_grads(
            nets[r], *vals[r], *trains[r], lr=LR, momentum=MOM,
            weight_decay=WD, momentum_buffers=bufs, eps=1e-6,
            ablation='none', reduce=reduce) for r in (0, 1)])
    for r in (0, 1):
        got = [a.grad for a in nets[r].arch_parameters()]
        assert max_err(got, expected) < 1e-6, r


def test_weight_swap_is_seen_under_autocast():
    """Autocast caches the bf16/fp16 copy of each leaf parameter within its
    region; swapping ``.data`` must not leave the old copy in use."""
    from mmddarts.models.search.unrolled import _swap
    torch.manual_seed(0)
    net = DDartsSupernet(num_classes=4, channels=4, num_cells=3).train()
    x = torch.randn(2, 3, 8, 8)
    params = net.weight_parameters()
    orig = [p.data for p in params]
    shifted = [w + 0.5 for w in orig]
    with torch.autocast('cpu', dtype=torch.bfloat16):
        net(x)  # fills the cache with the original weights' casts
        _swap(params, shifted)
        got = net(x)
        _swap(params, orig)
    fresh = copy.deepcopy(net)
    with torch.no_grad():
        for p, w in zip(fresh.weight_parameters(), shifted):
            p.copy_(w)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        want = fresh(x)
    assert torch.equal(got, want)
    assert all(p.data_ptr() == w.data_ptr() for p, w in zip(params, orig))
