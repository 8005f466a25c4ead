"""The exact second-order architecture gradient, by double back-propagation
through the virtual weight step: the oracle of the unrolled-step tests.

Built independently of :mod:`mmddarts.models.search.unrolled`: ``w'(alpha)``
with ``create_graph=True`` (so ``dw'/dalpha`` is kept), the validation CE run
on ``w'`` by ``torch.func.functional_call``, and ``torch.autograd.grad`` of
every owner's loss w.r.t. its own alpha; the ablation term (leave-one-out)
is built from full forward passes at fixed ``w'`` (its documented
definition), L01 by hand.
"""
import copy

import torch
import torch.nn.functional as F
from torch.func import functional_call

W01, WABL, SEED = 7.0, 0.5, 1234
LR, MOM, WD = 0.5, 0.9, 3e-4


def hand_l01(alpha):
    return -((torch.sigmoid(alpha) - 0.5)**2).mean()


def exact_second_order(net, val, train, bufs, ablation, w01=W01,
                       w_abl=WABL, lr=LR, seed=SEED):
    """Per-owner gradient of CE(w'(alpha), alpha) + w01 L01_i + w_abl Labl_i
    (Labl at fixed w'), by double back-propagation."""
    net = copy.deepcopy(net)
    names, ws = zip(*net.named_weight_parameters())
    alphas = net.arch_parameters()
    lt = F.cross_entropy(net(train[0]), train[1])
    gw = torch.autograd.grad(lt, ws, create_graph=True, allow_unused=True)
    wv = [w - lr * (MOM * b + (torch.zeros_like(w) if g is None else g) +
                    WD * w) for w, g, b in zip(ws, gw, bufs)]
    logits = functional_call(net, dict(zip(names, wv)), (val[0], ))
    ce = F.cross_entropy(logits, val[1])
    d_ce = torch.autograd.grad(ce, alphas)
    # ablation + L01 at fixed w' (a plain copy holding w' as its weights)
    fixed = copy.deepcopy(net)
    with torch.no_grad():
        for p, w in zip(fixed.weight_parameters(), wv):
            p.copy_(w)
    fa = fixed.arch_parameters()
    gen = torch.Generator().manual_seed(seed)
    rnd = [fixed.draw_ablation_weights(j, gen)
           for j in range(fixed.num_owners)]
    base = fixed.position_weights()
    L = F.cross_entropy(fixed(val[0], weights=base), val[1])
    mc = []
    for j in range(fixed.num_owners):
        w = list(base)
        for t, k in enumerate(fixed.owner_cells[j]):
            w[k] = rnd[j][t]
        mc.append(L - F.cross_entropy(fixed(val[0], weights=w), val[1]))
    mc = torch.stack(mc)
    out = []
    # FairDARTS' zero-one loss for shared sets: ONE mean over all alphas
    joint = w01 * hand_l01(torch.cat([a.flatten() for a in fa])) \
        if fixed.zero_one_reduction == 'joint' else None
    for i, a in enumerate(fa):
        li = w01 * hand_l01(a) if joint is None else joint
        if ablation == 'exact':
            li = li + w_abl * (1 - mc[i] / mc.mean())
        out.append(d_ce[i] + torch.autograd.grad(li, a,
                                                 retain_graph=True)[0])
    return out


def max_err(got, exp):
    return max(float((g - e).abs().max()) for g, e in zip(got, exp))
