"""DARTS' second-order (unrolled) architecture step (Liu et al. 2019, Eq. 7-8).

The architecture objective is evaluated after one virtual SGD step of the
weights on the *training* batch::

    w' = w - xi * (mu * buf + grad_w L_train(w, alpha) + wd * w)

(``buf``: the weight optimizer's momentum buffer, read, never written), and
its CE part is differentiated through ``w'(alpha)``::

    dCE_val(w', alpha)/dalpha = d_alpha CE_val(w', alpha)
                                - xi * grad2_{alpha,w} L_train(w, alpha) v,
    v = grad_w' CE_val(w', alpha)

with the Hessian-vector product by central finite differences around
``w``: ``(grad_alpha L_train(w + r v) - grad_alpha L_train(w - r v)) / 2r``,
``r = eps / ||v||`` (DARTS: eps = 0.01). Cost: the first-order step at
``w'`` plus one forward/backward for ``grad_w L_train`` and two for the
finite differences.

What "second order" means for the D-DARTS per-owner objective
``L_i = CE + w01 * L01_i + w_abl * Labl_i``: every term is evaluated at the
virtual weights ``w'``; the CE term is differentiated through ``w'(alpha)``
as above (owner i gets the alpha_i block of the full correction, the CE
being common to every owner); ``L01_i`` does not depend on the weights; the
ablation term ``Labl_i`` (leave-one-out or Shapley) keeps its first-order
definition, its exact gradient w.r.t. alpha_i at fixed ``w'`` (a
second-order ablation term would need one Hessian-vector product per
owner, as its ``d/dw'`` differs for every owner).

The real weights are never modified: ``w'`` and ``w +- r v`` are separate
tensors swapped in as the parameters' ``.data`` and the original tensors
swapped back (bit-identical). No weight ``.grad``, no optimizer state and no
BatchNorm running statistic is touched (every pass of the step runs under
:func:`~.ablation.frozen_bn_stats`; the first-order step updates the
statistics once on the architecture batch, the unrolled one leaves that to
the weight step). Data parallel: ``grad_w L_train`` and ``v`` are averaged
over ranks (as the weight step's gradients), the finite-difference term too;
AMP: the gradients are taken of the scaled losses and ``grad_w L_train``,
``v`` unscaled before use, so an fp16 overflow gives non-finite alpha
gradients and the loss scaler skips the step.
"""
import torch
import torch.nn.functional as F

from .ablation import arch_step_grads, frozen_bn_stats
from .grad_assembly import grads_or_zeros


def _swap(params, tensors):
    """Point every parameter at another tensor (``.data``). Autocast caches
    its low-precision copies of leaf parameters by tensor identity, which
    ``.data`` keeps: the cache is cleared so the next forward casts the new
    values (a stale cache would silently run at the old weights)."""
    for p, t in zip(params, tensors):
        p.data = t
    torch.clear_autocast_cache()


def virtual_weights(weights, grads, lr, momentum=0.0, weight_decay=0.0,
                    momentum_buffers=None):
    """``w - lr * (momentum * buf + grad + weight_decay * w)`` per tensor,
    as new tensors (``buf`` None or missing: 0)."""
    out = []
    bufs = momentum_buffers or [None] * len(weights)
    with torch.no_grad():
        for w, g, b in zip(weights, grads, bufs):
            d = g + weight_decay * w if weight_decay else g.clone()
            if momentum and b is not None:
                d = d + momentum * b
            out.append(w.detach() - lr * d)
    return out


def unrolled_arch_step_grads(net, inputs, targets, train_inputs,
                             train_targets, lr, momentum=0.0,
                             weight_decay=0.0, momentum_buffers=None,
                             eps=0.01, loss_scale=1.0, reduce=None,
                             first_order=arch_step_grads, **kwargs):
    """The unrolled architecture step; accumulates into ``alpha.grad``.

    Args:
        net: the supernet.
        inputs, targets: the architecture (validation) batch.
        train_inputs, train_targets: the weights' batch of the iteration
            (the virtual step's).
        lr, momentum, weight_decay (float): the virtual SGD step (DARTS: the
            weight optimizer's current values).
        momentum_buffers (list, optional): the weight optimizer's momentum
            buffer of every ``net.weight_parameters()`` (None entries: 0).
        eps (float): finite-difference step ``r = eps / ||v||``.
        loss_scale, reduce: as :func:`~.ablation.arch_step_grads`.
        first_order (callable): the first-order step run at ``w'``,
            ``arch_step_grads`` (leave-one-out) or
            :func:`~.shapley.shapley_arch_step_grads`; it must accept
            ``weight_grads``.
        **kwargs: passed to ``first_order`` (``w01``, ``w_abl``,
            ``ablation``, ``generator``, ...).

    Returns:
        dict: ``first_order``'s logs plus ``unroll_r`` (the finite-difference
        step ``r``; 0 when ``lr`` or ``||v||`` is 0).
    """
    if lr < 0 or eps <= 0:
        raise ValueError(f'unrolled_arch_step_grads: needs lr >= 0 and '
                         f'eps > 0, got lr={lr}, eps={eps}')
    weights = net.weight_parameters()
    alphas = net.arch_parameters()
    if momentum_buffers is not None and len(momentum_buffers) != len(
            weights):
        raise ValueError(f'unrolled_arch_step_grads: {len(momentum_buffers)} '
                         f'momentum buffers for {len(weights)} weights')
    orig = [p.data for p in weights]
    with frozen_bn_stats(net):
        gw = grads_or_zeros(
            F.cross_entropy(net(train_inputs), train_targets) * loss_scale,
            weights)
        if not _unit(loss_scale):
            gw = [x / loss_scale for x in gw]
        if reduce is not None:
            reduce(gw)
        w_virtual = virtual_weights(orig, gw, lr, momentum, weight_decay,
                                    momentum_buffers)
        del gw
        try:
            _swap(weights, w_virtual)
            vgrads = []
            logs = first_order(net, inputs, targets, loss_scale=loss_scale,
                               reduce=reduce, weight_grads=vgrads, **kwargs)
            _swap(weights, orig)
            del w_virtual
            r = torch.tensor(0.0)
            if lr:
                v = [x / loss_scale for x in vgrads] \
                    if not _unit(loss_scale) else vgrads
                if reduce is not None:
                    reduce(v)
                norm = torch.sqrt(sum((x.double()**2).sum() for x in v))
                # ||v|| = 0: no second-order term (r = 0 gives h = 0, and
                # where() drops the 0 * inf); decided on the device, the
                # two extra passes are the price of never reading norm
                nonzero = norm != 0
                # a tensor: nan/0 under fp16 overflow
                r = torch.where(nonzero, eps / norm, torch.zeros_like(norm))
                hv = _train_alpha_grads(net, weights, orig, v, r,
                                        train_inputs, train_targets,
                                        loss_scale)
                if reduce is not None:
                    reduce(hv)
                for a, h in zip(alphas, hv):
                    c = torch.where(nonzero, h * (-lr / (2 * r)).to(h.dtype),
                                    torch.zeros_like(h))
                    if a.grad is None:
                        a.grad = c
                    else:
                        a.grad.add_(c)
        finally:
            _swap(weights, orig)
    logs['unroll_r'] = r.detach()
    return logs


def _unit(loss_scale):
    """``loss_scale`` is the python 1.0 (an AMP scale is a device tensor,
    divided by without reading it)."""
    return not isinstance(loss_scale, torch.Tensor) and loss_scale == 1.0


def _train_alpha_grads(net, weights, orig, v, r, x, y, loss_scale):
    """``grad_alpha L_train(w + r v) - grad_alpha L_train(w - r v)`` (times
    ``loss_scale``); the caller restores the weights."""
    alphas = net.arch_parameters()
    out = []
    for sign in (1.0, -1.0):
        with torch.no_grad():
            shifted = [w + (sign * r).to(w.dtype) * d
                       for w, d in zip(orig, v)]
        _swap(weights, shifted)
        loss = F.cross_entropy(net(x), y) * loss_scale
        out.append(grads_or_zeros(loss, alphas))
        del loss, shifted
    return [p - m for p, m in zip(*out)]
