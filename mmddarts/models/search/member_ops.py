"""Running search ops on a *member-batched* tensor, with few kernels.

The ablation passes of one architecture step (issue 9) run as one larger
batch: ``G`` members (the full network and/or ablations that differ only in
their op weights) share every conv weight, so they can share every conv
launch. The batched tensor is laid out **batch-major, member-minor**: sample
``n = b * G + g`` is image ``b`` of member ``g``. Then

- a conv sees an ordinary ``[B*G, C, H, W]`` batch (shared weights, one
  launch for all members);
- a BatchNorm that must normalise each member with its own batch statistics
  sees the same memory as ``[B, G*C, H, W]`` (a free view): channel
  ``g*C + c`` gathers exactly member g's channel c over its B images;
- ReLU and pools are per sample and per channel, so they do not care.

``G = 1`` is the ordinary network: every op then calls its module as is
(BatchNorm updates its running statistics as usual).

The leading ``ReLU`` of DARTS' conv candidates (and of FactorizedReduce) is
computed once per cell input state and shared by every op and edge reading
it (it is not in-place, so sharing its output is safe): :func:`leaf_steps`
returns an op's leaves without it.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.modules.batchnorm import _BatchNorm

from mmddarts.models.ops import FactorizedReduce


def leaf_steps(op):
    """The leaf modules ``op`` applies in sequence (nested ``Sequential`` s
    flattened) and whether the first one is a ReLU. Non-Sequential modules
    are one leaf (FactorizedReduce: see :func:`factorized_reduce`)."""
    if isinstance(op, nn.Sequential):
        steps = []
        for child in op:
            steps.extend(leaf_steps(child)[0])
    else:
        steps = [op]
    return steps, isinstance(steps[0], nn.ReLU)


def starts_with_relu(op):
    """Whether ``op`` begins with a (non-inplace) ReLU that may be shared."""
    if isinstance(op, FactorizedReduce):
        return not op.relu.inplace
    steps, relu = leaf_steps(op)
    return relu and not steps[0].inplace


def member_bn(bn, x, members, counters=None):
    """``bn(x)`` with each of the ``members`` normalised on its own batch.

    ``members == 1`` is the module's own computation (running statistics
    update as usual). With ``counters`` (a list) a training BN with a fixed
    momentum appends its ``num_batches_tracked`` there instead of
    incrementing it (one kernel per BN): the caller increments them all with
    one ``torch._foreach_add_`` (the counter does not enter the maths unless
    ``momentum`` is None).
    Otherwise the running statistics must be frozen or unused (ablated
    passes run under :func:`mmddarts.models.search.ablation.frozen_bn_stats`):
    a batched pass must not update them.
    """
    if members == 1:
        if (counters is None or not bn.training or bn.momentum is None
                or not bn.track_running_stats):
            return bn(x)
        bn._check_input_dim(x)
        counters.append(bn.num_batches_tracked)
        return F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight,
                            bn.bias, True, bn.momentum, bn.eps)
    N, C, H, W = x.shape
    use_batch = bn.training or bn.running_mean is None
    if bn.training and bn.track_running_stats:
        raise RuntimeError(
            'member_bn: a member-batched pass would update BatchNorm running '
            'statistics; run it under frozen_bn_stats()')
    rm = rv = None
    if not use_batch:
        rm = bn.running_mean.repeat(members)
        rv = bn.running_var.repeat(members)
    w = b = None
    if bn.affine:
        w, b = bn.weight.repeat(members), bn.bias.repeat(members)
    out = F.batch_norm(
        x.reshape(N // members, members * C, H, W), rm, rv, w, b, use_batch,
        0.0, bn.eps)
    return out.reshape(N, C, H, W)


def run_steps(steps, x, members, counters=None):
    """Apply leaf modules in sequence, BatchNorms per member."""
    for m in steps:
        x = member_bn(m, x, members, counters) if isinstance(
            m, _BatchNorm) else m(x)
    return x


def shifted_for_reduce(xr):
    """FactorizedReduce's one-pixel shift of an (already ReLU'd) input: pad
    one zero row/column at the end, drop the first (see its docstring)."""
    return F.pad(xr, (0, 1, 0, 1))[:, :, 1:, 1:]


def factorized_reduce(fr, xr, members, shifted=None, counters=None,
                      with_bn=True):
    """``fr(x)`` from ``xr = relu(x)`` (and its shift, if already made);
    ``with_bn=False`` stops before its BatchNorm."""
    if shifted is None:
        shifted = shifted_for_reduce(xr)
    out = torch.cat([fr.conv_1(xr), fr.conv_2(shifted)], dim=1)
    return member_bn(fr.bn, out, members, counters) if with_bn else out


def run_op(op, x, members, xr=None, shifted=None, counters=None):
    """One candidate op on ``x`` (``xr = relu(x)`` shared if given)."""
    if isinstance(op, FactorizedReduce):
        if xr is None:
            xr = op.relu(x)
        return factorized_reduce(op, xr, members, shifted, counters)
    steps, relu = leaf_steps(op)
    if relu and xr is not None:
        return run_steps(steps[1:], xr, members, counters)
    return run_steps(steps, x, members, counters)


def _mergeable(bns):
    first = bns[0]
    return all(not b.affine and b.eps == first.eps and
               b.momentum == first.momentum and b.training == first.training
               and b.track_running_stats == first.track_running_stats and
               (b.running_mean is None) == (first.running_mean is None) and
               (b.momentum is not None or not b.track_running_stats
                or not b.training) for b in bns)


def merged_bn(bns, xs, members, counters, whole=False):
    """``[bns[i](xs[i])]`` with ONE batch-norm kernel over the channel
    concatenation: an affine-free BatchNorm acts per channel, so the
    concatenation's statistics are each part's own. Running statistics
    (when the BNs track them) are read from and written back to every
    module's buffers with one concatenation and one foreach copy each.
    Falls back to one call per BN unless all are affine-free with the same
    ``eps`` / ``momentum`` / mode.

    ``whole=True`` returns the merged output itself (``[N, sum C_i, H, W]``,
    part i in its channels) instead of its split, where it was merged (a
    list still comes back from the fallback): a consumer of all parts
    reads them without a copy, and its gradient reaches the batch-norm
    backward without one."""
    if len(bns) == 1 or not _mergeable(bns):
        return [member_bn(b, x, members, counters) for b, x in zip(bns, xs)]
    first = bns[0]
    x = torch.cat(xs, dim=1)
    sizes = [t.shape[1] for t in xs]
    N, C, H, W = x.shape
    # the module's own rule: batch statistics in training, or without
    # running buffers; running ones updated only in training when tracked
    training = first.training
    update = training and first.track_running_stats
    use_batch = training or first.running_mean is None
    if members > 1 and update:
        raise RuntimeError(
            'merged_bn: a member-batched pass would update BatchNorm '
            'running statistics; run it under frozen_bn_stats()')
    rm = rv = None
    if update or not use_batch:
        with torch.no_grad():
            rm = torch.cat([b.running_mean for b in bns])
            rv = torch.cat([b.running_var for b in bns])
    if members > 1:
        if rm is not None:
            rm, rv = rm.repeat(members), rv.repeat(members)
        out = F.batch_norm(x.reshape(N // members, members * C, H, W), rm,
                           rv, None, None, use_batch, 0.0,
                           first.eps).reshape(N, C, H, W)
        return out if whole else list(out.split(sizes, dim=1))
    out = F.batch_norm(x, rm, rv, None, None, use_batch,
                       first.momentum if update else 0.0, first.eps)
    if update:
        with torch.no_grad():
            torch._foreach_copy_(
                [b.running_mean for b in bns] + [b.running_var for b in bns],
                list(rm.split(sizes)) + list(rv.split(sizes)))
        if counters is None:
            with torch.no_grad():
                torch._foreach_add_([b.num_batches_tracked for b in bns], 1)
        else:
            counters.extend(b.num_batches_tracked for b in bns)
    return out if whole else list(out.split(sizes, dim=1))
