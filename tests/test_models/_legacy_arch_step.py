"""The architecture step as it was before issue 9 (main d4adf9d), frozen
here as the reference the fused implementation is compared with: every
cell evaluated edge by edge (``SearchCell.forward_per_edge``: one multiply
and add per candidate op) and the ablated suffixes run one after another.
Not a test module. Use :func:`legacy_arch_step_grads` on a supernet.
"""
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch.nn.modules.batchnorm import _BatchNorm

from mmddarts.models.losses.ablation_loss import (ablation_loss,
                                                  ablation_loss_grads)
from mmddarts.models.losses.zero_one_loss import (zero_one_loss,
                                                  zero_one_loss_joint)

ABLATION_MODES = ('exact', 'reference', 'none')


@contextmanager
def frozen_bn_stats(module):
    """BN layers of ``module`` keep normalising with batch statistics (train
    mode) or running ones (eval mode) but do not update running stats nor
    ``num_batches_tracked``: with ``track_running_stats`` off, torch's
    ``_BatchNorm.forward`` passes no running buffers in train mode."""
    bns = [m for m in module.modules()
           if isinstance(m, _BatchNorm) and m.track_running_stats]
    for m in bns:
        m.track_running_stats = False
    try:
        yield
    finally:
        for m in bns:
            m.track_running_stats = True


def _grads(loss, params, retain_graph=False):
    """d loss / d params with zeros for params the loss does not reach."""
    if not loss.requires_grad:
        return [torch.zeros_like(p) for p in params]
    grads = torch.autograd.grad(loss, params, retain_graph=retain_graph,
                                allow_unused=True)
    return [torch.zeros_like(p) if g is None else g
            for g, p in zip(grads, params)]


def ablated_losses(net, feats, weights, targets, generator=None,
                   with_grad=False, loss_scale=1.0):
    """Loss ``L_j`` with each alpha owner j ablated, reusing the full pass.

    Args:
        net: the supernet.
        feats (list[Tensor]): the stem output followed by every cell's output
            from the full pass (cell k reads ``feats[max(k - 1, 0)]`` and
            ``feats[k]``).
        weights (list[Tensor]): op weights of every cell position.
        with_grad (bool): also return ``S = d(sum_j L_j)/dalpha`` (times
            ``loss_scale``); otherwise run under ``no_grad``.

    Returns:
        tuple: ``(losses [K] detached, S list or None)``.

    With grad, each ``L_j`` is back-propagated through its own suffix only
    (its inputs are detached copies of the shared prefix outputs): that
    gives the suffix alphas' share of ``S`` and the cotangents of the prefix
    outputs, which are summed over j and pushed through the shared prefix
    ONCE at the end, instead of once per ablation.
    """
    alphas = net.arch_parameters()
    n_a = len(alphas)
    S = [torch.zeros_like(a) for a in alphas] if with_grad else None
    cot = {}  # index in feats -> sum_j dL_j/dfeats[k] (times loss_scale)
    losses = []
    with frozen_bn_stats(net), torch.set_grad_enabled(with_grad):
        for j, cells in enumerate(net.owner_cells):
            rnd = net.draw_ablation_weights(j, generator)
            w = list(weights)
            for t, k in enumerate(cells):
                w[k] = rnd[t]
            start = cells[0]
            idx = (max(start - 1, 0), start)
            if with_grad:
                # feats[0] (the stem) depends on no alpha: no cotangent
                leaf = {k: feats[k].detach().requires_grad_(
                    k > 0 and feats[k].requires_grad) for k in set(idx)}
                s0, s1 = leaf[idx[0]], leaf[idx[1]]
            else:
                s0, s1 = feats[idx[0]], feats[idx[1]]
            logits = net.head_forward(
                net.cells_forward(s0, s1, w, start=start))
            loss = F.cross_entropy(logits, targets)
            if with_grad and loss.requires_grad:
                keys = [k for k, v in leaf.items() if v.requires_grad]
                # retain_graph: the mixing (sigmoid) nodes are shared with
                # the full pass; this suffix graph is freed once ``loss``
                # and ``logits`` are dropped below
                grads = torch.autograd.grad(
                    loss * loss_scale, alphas + [leaf[k] for k in keys],
                    retain_graph=True, allow_unused=True)
                for i in range(n_a):
                    if grads[i] is not None:
                        S[i] += grads[i]
                for k, gk in zip(keys, grads[n_a:]):
                    if gk is not None:
                        cot[k] = gk if k not in cot else cot[k] + gk
            losses.append(loss.detach())
            del loss, logits, w
    if cot:
        keys = sorted(cot)
        grads = torch.autograd.grad([feats[k] for k in keys], alphas,
                                    grad_outputs=[cot[k] for k in keys],
                                    retain_graph=True, allow_unused=True)
        for i, g in enumerate(grads):
            if g is not None:
                S[i] += g
    return torch.stack(losses), S


def arch_step_grads(net, inputs, targets, w01=7.0, w_abl=0.5,
                    ablation='exact', loss_scale=1.0, generator=None,
                    eps=None, rel_eps=None, reduce=None, weight_grads=None):
    """One architecture step's gradients, accumulated into ``alpha.grad``.

    Every alpha owner i receives ``loss_scale * (g_i + w01 * dL01_i/da_i +
    w_abl * dLabl_i/da_i)``, the gradient of its own objective
    ``L_i = CE + w01 * L01_i + w_abl * Labl_i`` w.r.t. its own alpha (per-cell
    optimizer semantics). ``ablation='reference'`` measures the marginal
    contributions under ``no_grad`` and only logs them (the released code's
    behaviour); ``'none'`` skips them (FairDARTS, DARTS with ``w01=0``).
    Only ``torch.autograd.grad`` w.r.t. the alphas is used, so no weight's
    ``.grad`` is touched. ``L01`` always reads ``sigmoid(alpha)``
    (FairDARTS); DARTS' softmax search uses ``w01=0``. With
    ``net.zero_one_reduction == 'joint'`` (shared sets) the zero-one term is
    ``w01 * d/da_i`` of ONE mean over all alphas, as FairDARTS'. With
    ``w_abl=0``, 'exact' measures and logs the contributions like
    'reference'.

    Args:
        net (DDartsSupernet): the supernet (train mode in search).
        inputs, targets: the architecture batch.
        w01, w_abl (float): weights of the zero-one and ablation losses.
        ablation (str): ``'exact'``, ``'reference'`` or ``'none'``.
        loss_scale (float | Tensor): multiplies every gradient (and the
            losses before backward, for fp16 range), for an AMP scaler to
            unscale later.
        generator (torch.Generator, optional): on the alphas' device; draws
            the ablation values (owner 0 first). Default: torch's global RNG.
        eps (float, optional): absolute ablation guard; default
            ``net.ablation_cfg['eps']``.
        rel_eps (float, optional): relative ablation guard (see
            :func:`ablation_guard`); default ``net.ablation_cfg['rel_eps']``.
        reduce (callable, optional): data parallel: averages a list of
            tensors over ranks in place. The search objective is then the
            mean over ranks of every loss, so ``CE``, the ``L_j``, ``g`` and
            ``S`` (all linear in the per-rank losses) are averaged BEFORE the
            non-linear ablation formula; averaging the finished per-rank
            gradients would give ``mean_r f(mc_r)``, not ``f(mean_r mc_r)``.
            The alphas must be identical on all ranks (their ``L01``
            gradients are not reduced); the result is then too.
        weight_grads (list, optional): if given, ``d(CE * loss_scale)/dw``
            of every ``net.weight_parameters()`` is appended to it from the
            same backward pass (not reduced); the unrolled step
            (:mod:`.unrolled`) needs it.

    Returns:
        dict: detached ``loss`` (mean over owners of ``L_i``), ``ce``,
        ``l01`` [K]; unless ablation is 'none' also ``mc`` [K], ``labl`` [K],
        ``abl_m`` (mean mc) and ``abl_guarded`` (1 if the guard set the
        ablation terms to 0).
    """
    if ablation not in ABLATION_MODES:
        raise ValueError(f'arch_step_grads: unknown ablation mode '
                         f'{ablation!r}; expected one of {ABLATION_MODES}')
    eps = net.ablation_cfg['eps'] if eps is None else eps
    if rel_eps is None:
        rel_eps = net.ablation_cfg['rel_eps']
    alphas = net.arch_parameters()

    weights = net.position_weights()
    stem = net.stem_forward(inputs)
    feats = [stem]
    net.cells_forward(stem, stem, weights, record=feats)
    ce = F.cross_entropy(net.head_forward(feats[-1]), targets)
    l01 = torch.stack([zero_one_loss(a) for a in alphas])

    # L01_i depends on alpha_i only: the gradient of the sum holds every
    # owner's own term. Shared sets (FairDARTS) have ONE objective whose
    # zero-one loss is one mean over all alphas (net.zero_one_reduction).
    total = [torch.zeros_like(a) for a in alphas]
    if w01:
        l01_obj = (zero_one_loss_joint(alphas)
                   if getattr(net, 'zero_one_reduction', 'owner') == 'joint'
                   else l01.sum())
        for t, g in zip(total, _grads(l01_obj * (w01 * loss_scale),
                                      alphas)):
            t += g

    losses = S = None
    if ablation != 'none':
        with_grad = ablation == 'exact' and bool(w_abl)
        losses, S = ablated_losses(net, feats, weights, targets, generator,
                                   with_grad=with_grad,
                                   loss_scale=loss_scale)
    del feats, stem

    wps = [] if weight_grads is None else net.weight_parameters()
    g = _grads(ce * loss_scale, alphas + wps)  # last use: frees the graph
    if wps:
        weight_grads.extend(g[len(alphas):])
        g = g[:len(alphas)]
    ce = ce.detach().clone()  # a value from here on (reduced in place)
    if reduce is not None:
        reduce([ce] + ([] if losses is None else [losses]) + g +
               ([] if S is None else S))

    logs = dict(ce=ce, l01=l01.detach())
    labl_mean = 0.0
    if losses is not None:
        mc = ce - losses
        labl, m, guarded = ablation_loss(mc, eps, rel_eps)
        labl_mean = labl.mean()
        logs.update(mc=mc, labl=labl, abl_m=m,
                    abl_guarded=torch.tensor(float(guarded),
                                             device=mc.device))
    for t, gi in zip(total, g):
        t += gi
    if S is not None:
        for t, d in zip(total, ablation_loss_grads(mc.to(g[0].dtype), g, S,
                                                   eps, rel_eps)):
            t += w_abl * d

    for a, t in zip(alphas, total):
        if a.grad is None:
            a.grad = t.detach()
        else:
            a.grad.add_(t.detach())
    logs['loss'] = (ce + w01 * l01.detach().mean() +
                    w_abl * labl_mean)
    return logs


class PerEdgeNet:
    """A supernet seen through DARTS' plain per-edge cell evaluation."""

    def __init__(self, net):
        self._net = net

    def __getattr__(self, name):
        return getattr(self._net, name)

    def modules(self):
        return self._net.modules()

    def cells_forward(self, s0, s1, weights, start=0, record=None):
        for k in range(start, self._net.num_cells):
            out = self._net.cells[k].forward_per_edge(s0, s1, weights[k])
            if record is not None:
                record.append(out)
            s0, s1 = s1, out
        return s1

    def __call__(self, x, weights=None):
        if weights is None:
            weights = self._net.position_weights()
        s = self._net.stem_forward(x)
        return self._net.head_forward(self.cells_forward(s, s, weights))


def legacy_arch_step_grads(net, *args, **kwargs):
    """The pre-issue-9 ``arch_step_grads`` on ``net``."""
    return arch_step_grads(PerEdgeNet(net), *args, **kwargs)
