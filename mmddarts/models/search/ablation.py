"""The architecture step of the supernet: CE, zero-one and ablation terms,
with each alpha owner's own gradient accumulated into its ``.grad``.

Ablating owner j = replacing the op weights of every cell it owns with fresh
U[0, 1) values (one ``torch.rand`` per ablation); conv weights are unchanged.

Cost and memory. Ablation j starts from the first cell of owner j and reuses
the full pass' recorded inputs of that cell (prefix reuse: cells before it
would compute exactly the same tensors); the ablations run as member
batches (:mod:`.ablation_batch`), all in one on an accelerator and one by
one on a CPU (:func:`ablation_plan`). In ``'exact'`` mode the graphs of the
ablations and of the full pass never coexist: on an accelerator the full
network runs as one more member of the (checkpointed) ablation batch, whose
single backward gives ``S`` including the shared prefix, before the full
pass is built; on a CPU the ablations start from graph-free records of the
full pass, are back-propagated through their suffixes, and hand back the
cotangents of the records, which go through the full pass' graph once
after the CE backward. In ``'reference'`` mode the ablations run without a
graph after the CE backward has freed the full pass' graph. Peak memory:
about a weight step's.
BatchNorm layers normalise ablated batches as usual but never update their
running statistics there; the full pass updates them once, as in DARTS'
architecture step (train mode).
"""
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch.nn.modules.batchnorm import _BatchNorm

from mmddarts.models.losses.ablation_loss import ablation_loss_grads
from .ablation_batch import chunk_losses, member_order, split_chunks
from .grad_assembly import (accumulate, ce_grads, contribution_logs,
                            objective_loss, zero_one_terms)

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


def ablated_losses(net, feats, weights, targets, generator=None,
                   with_grad=False, loss_scale=1.0, chunk=None,
                   checkpoint=False, prefix=False):
    """Loss ``L_j`` with each alpha owner j ablated, reusing the full pass.

    Args:
        net: the supernet.
        feats (list[Tensor]): the stem output followed by every cell's output
            from the full pass (cell k reads ``feats[max(k - 1, 0)]`` and
            ``feats[k]``), as values: with grad they are read through
            detached leaves.
        weights (list[Tensor]): op weights of every cell position.
        with_grad (bool): also return the suffixes' share of
            ``S = d(sum_j L_j)/dalpha`` and the cotangents of ``feats``
            (times ``loss_scale``); otherwise run under ``no_grad``.
        chunk (int, optional): ablations per batched pass
            (:mod:`.ablation_batch`); ``None``: all in one.
        checkpoint (bool): recompute the ablated cells in the backward
            instead of keeping their graphs (with grad only).
        prefix (bool): with grad and one chunk: run the full network as
            one more member of the batch (see :func:`chunk_losses`): ``S``
            then includes the prefix's share (``cot`` is empty) and
            ``feats`` only needs the stem output.

    Returns:
        tuple: ``(losses [K] detached, S, cot)``: without grad ``S`` is
        None and ``cot`` empty; with grad ``S`` holds what reaches the
        alphas inside the suffixes, and ``cot`` maps an index of ``feats``
        to ``sum_j dL_j/dfeats[k]``, which the caller pushes through the
        full pass' graph (the prefix's share of ``S``) once.

    The random op weights are drawn first, one ``torch.rand`` per owner in
    owner order. With grad, each chunk's ``sum_j L_j`` is back-propagated
    through its suffixes only and its graph is freed before the next chunk.
    """
    alphas = net.arch_parameters()
    n_a = len(alphas)
    rnd = {j: net.draw_ablation_weights(j, generator)
           for j in range(net.num_owners)}
    S = [torch.zeros_like(a) for a in alphas] if with_grad else None
    cot = {}  # index in feats -> sum_j dL_j/dfeats[k] (times loss_scale)
    losses = {}
    with frozen_bn_stats(net), torch.set_grad_enabled(with_grad):
        for members in split_chunks(member_order(net), chunk):
            leaf = {}

            def entry(k):
                if not with_grad:
                    return feats[k]
                # feats[0] (the stem) depends on no alpha: no cotangent
                if k not in leaf:
                    leaf[k] = feats[k].detach().requires_grad_(k > 0)
                return leaf[k]

            out = chunk_losses(net, feats, weights, rnd, targets, members,
                               entry, checkpoint,
                               feats[0] if prefix else None)
            if with_grad and out.requires_grad:
                keys = [k for k, v in leaf.items() if v.requires_grad]
                # retain_graph: the mixing (sigmoid) nodes are shared with
                # the full pass; this chunk's graph is freed once ``out``
                # is dropped below
                grads = torch.autograd.grad(
                    out.sum() * loss_scale, alphas + [leaf[k] for k in keys],
                    retain_graph=True, allow_unused=True)
                for i in range(n_a):
                    if grads[i] is not None:
                        S[i] += grads[i]
                for k, gk in zip(keys, grads[n_a:]):
                    if gk is not None:
                        cot[k] = gk if k not in cot else cot[k] + gk
            for j, lj in zip(members, out.detach()):
                losses[j] = lj
            del out, leaf
    return torch.stack([losses[j] for j in range(net.num_owners)]), S, cot


def ablation_plan(net, device):
    """How the ablations of a step on ``device`` run: ``(options, prefix)``
    with ``options = dict(chunk=..., checkpoint=...)`` for
    :func:`ablated_losses` and whether the exact step runs the full network
    as a member of the ablation batch.

    Unset (None) ``net.ablation_cfg`` options take the defaults of the
    device kind (``net.ablation_cfg['defaults']``, else ``device``'s type).
    An accelerator is bound by kernel launches: all ablations in one batch,
    the full network in it, the batched cells checkpointed. A CPU is bound
    by arithmetic: ablations one by one (``chunk=1``) from graph-free
    records, with no recompute (one ablation's graph is never larger than
    the full pass', and the two never coexist). ``checkpoint`` unset: on
    whenever a batch holds more than one ablation. Same numbers in every case.
    """
    opts = net.ablation_cfg
    kind = opts['defaults'] or torch.device(device).type
    launch_bound = kind != 'cpu'
    chunk = opts['chunk']
    if chunk is None and not launch_bound:
        chunk = 1
    batches = split_chunks(member_order(net), chunk)
    checkpoint = opts['checkpoint']
    if checkpoint is None:
        checkpoint = max(len(b) for b in batches) > 1
    prefix = opts['prefix_member']
    if prefix is None:
        prefix = launch_bound
    return (dict(chunk=chunk, checkpoint=bool(checkpoint)),
            bool(prefix) and len(batches) == 1)


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
    with_grad = ablation == 'exact' and bool(w_abl)
    options, prefix = ablation_plan(net, inputs.device)
    losses = S = None
    cot = {}
    if with_grad and prefix:
        # One batch: the full network runs in it as one more member, so
        # S needs no separate prefix backward and the ablations no full
        # pass beforehand (fewer launches; one more batched forward of
        # arithmetic than below). They run BEFORE the full pass' graph is
        # built. The stem has no alpha: a graph-free value, its BN
        # statistics left to the full pass.
        with torch.no_grad(), frozen_bn_stats(net):
            stem0 = net.stem_forward(inputs)
        losses, S, cot = ablated_losses(
            net, [stem0], weights, targets, generator, with_grad=True,
            loss_scale=loss_scale, prefix=True, **options)
        del stem0
    elif with_grad:
        # The ablations start from graph-free records of the full pass
        # and hand back the cotangents of those records; the full pass'
        # graph is built only afterwards, so the two never coexist (peak
        # memory: the larger of the two, not their sum). The records cost
        # one forward without a graph.
        with torch.no_grad(), frozen_bn_stats(net):
            feats0 = [net.stem_forward(inputs)]
            net.cells_forward(feats0[0], feats0[0], weights, record=feats0)
        losses, S, cot = ablated_losses(
            net, feats0, weights, targets, generator, with_grad=True,
            loss_scale=loss_scale, **options)
        del feats0
    stem = net.stem_forward(inputs)
    feats = [stem]
    net.cells_forward(stem, stem, weights, record=feats)
    ce = F.cross_entropy(net.head_forward(feats[-1]), targets)
    l01, total = zero_one_terms(net, alphas, w01, loss_scale)
    g = ce_grads(net, ce, alphas, loss_scale, weight_grads,
                 retain_graph=bool(cot))
    if cot:  # the ablations' share of S through the prefix
        keys = sorted(cot)
        grads = torch.autograd.grad([feats[k] for k in keys], alphas,
                                    grad_outputs=[cot[k] for k in keys],
                                    allow_unused=True)
        for i, d in enumerate(grads):
            if d is not None:
                S[i] += d
        del cot
    if ablation != 'none' and losses is None:
        # measured only (no gradient): after the CE backward freed the
        # full pass' graph, so the batched passes never coexist with it
        losses = ablated_losses(net, [f.detach() for f in feats], weights,
                                targets, generator, with_grad=False,
                                **options)[0]
    del feats, stem
    ce = ce.detach().clone()  # a value from here on (reduced in place)
    if reduce is not None:
        reduce([ce] + ([] if losses is None else [losses]) + g +
               ([] if S is None else S))

    mc = None if losses is None else ce - losses
    logs, labl = contribution_logs(ce, l01, mc, eps, rel_eps)
    abl_grads = None if S is None else ablation_loss_grads(
        mc.to(g[0].dtype), g, S, eps, rel_eps)
    accumulate(alphas, total, g, abl_grads, w_abl)
    logs['loss'] = objective_loss(ce, l01, labl, w01, w_abl)
    return logs
