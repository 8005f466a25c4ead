"""The gradient assembly shared by every contribution (leave-one-out in
:mod:`.ablation`, Shapley in :mod:`.shapley`).

Each alpha owner i receives ``loss_scale * (g_i + w01 dL01_i/da_i + w_abl
dLabl_i/da_i)``, its own objective ``L_i = CE + w01 L01_i + w_abl Labl_i``
differentiated w.r.t. its own alpha. The contributions differ only in how
they measure ``mc`` and in ``dLabl_i/da_i``; the zero-one term, the CE
gradient, the logs and the accumulation into ``alpha.grad`` are here.
"""
import torch

from mmddarts.models.losses.ablation_loss import ablation_loss
from mmddarts.models.losses.zero_one_loss import (zero_one_loss,
                                                  zero_one_loss_joint)


def grads_or_zeros(loss, params, retain_graph=False):
    """d loss / d params with zeros for params the loss does not reach."""
    if not loss.requires_grad:
        return [torch.zeros_like(p) for p in params]
    grads = torch.autograd.grad(loss, params, retain_graph=retain_graph,
                                allow_unused=True)
    return [torch.zeros_like(p) if g is None else g
            for g, p in zip(grads, params)]


def zero_one_terms(net, alphas, w01, loss_scale, reduction=None):
    """``(l01 [K], total)``: every owner's zero-one loss and the running
    gradient sum, started with ``loss_scale * w01 * dL01/dalpha``.

    ``L01_i`` depends on alpha_i only: the gradient of the sum holds every
    owner's own term. Shared sets (FairDARTS) have ONE objective whose
    zero-one loss is one mean over all alphas (``reduction`` ``'joint'``;
    default: ``net.zero_one_reduction``)."""
    if reduction is None:
        reduction = net.zero_one_reduction
    l01 = torch.stack([zero_one_loss(a) for a in alphas])
    total = [torch.zeros_like(a) for a in alphas]
    if w01:
        l01_obj = (zero_one_loss_joint(alphas) if reduction == 'joint'
                   else l01.sum())
        for t, g in zip(total, grads_or_zeros(l01_obj * (w01 * loss_scale),
                                              alphas)):
            t += g
    return l01, total


def ce_grads(net, ce, alphas, loss_scale, weight_grads=None,
             retain_graph=False):
    """``g = d(CE * loss_scale)/dalpha``; with ``weight_grads`` (a list) the
    weights' share of the same backward is appended to it (the unrolled
    step needs it)."""
    wps = [] if weight_grads is None else net.weight_parameters()
    g = grads_or_zeros(ce * loss_scale, alphas + wps,
                       retain_graph=retain_graph)
    if wps:
        weight_grads.extend(g[len(alphas):])
        g = g[:len(alphas)]
    return g


def contribution_logs(ce, l01, mc, eps, rel_eps):
    """``(logs, labl)``: the detached logs of a step (``ce``, ``l01`` and,
    when contributions ``mc`` were measured, ``mc``, ``labl``, ``abl_m``,
    ``abl_guarded``); ``labl`` is None without contributions."""
    logs = dict(ce=ce, l01=l01.detach())
    if mc is None:
        return logs, None
    labl, m, guarded = ablation_loss(mc, eps, rel_eps)
    logs.update(mc=mc, labl=labl, abl_m=m, abl_guarded=guarded.float())
    return logs, labl


def accumulate(alphas, total, g, abl_grads, w_abl):
    """``total + g + w_abl * abl_grads`` (None: no ablation gradient) added
    into every alpha's ``.grad``."""
    for t, gi in zip(total, g):
        t += gi
    if abl_grads is not None:
        for t, d in zip(total, abl_grads):
            t += w_abl * d
    for a, t in zip(alphas, total):
        if a.grad is None:
            a.grad = t.detach()
        else:
            a.grad.add_(t.detach())


def objective_loss(ce, l01, labl, w01, w_abl):
    """The logged loss: mean over owners of ``L_i``."""
    labl_mean = 0.0 if labl is None else labl.mean()
    return ce + w01 * l01.detach().mean() + w_abl * labl_mean
