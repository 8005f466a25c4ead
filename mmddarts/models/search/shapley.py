"""Monte-Carlo permutation Shapley contributions of the alpha owners.

The game. Each alpha owner is a player; ``L(A)`` is the cross-entropy of
the supernet on the architecture batch with every owner in ``A`` ablated
(its cells' op weights replaced by the step's U[0, 1) draw, one draw per
owner per step, as in leave-one-out). Owner j's marginal contribution to an
ablated set ``A`` (j not in A) is ``L(A) - L(A + {j})``, the sign of the
leave-one-out ``mc_j = L - L_j`` (which is its value for ``A`` empty). The
Shapley value ``phi_j`` averages it over all orders of the players: with a
uniform random permutation, owners are ablated cumulatively in that order,
``A_0 = {}``, ``A_p = A_{p-1} + {pi_p}``, and ``pi_p`` gets
``L(A_{p-1}) - L(A_p)``. ``K`` sampled permutations give an unbiased
estimate with a standard error ``std_k / sqrt(K)`` per owner; every
permutation telescopes to ``L - L(all ablated)`` (efficiency), so
``m = mean_j phi_j = (L - L_all) / N`` whatever the sample.

Cost. Along a permutation, pass ``A_p`` differs from ``A_{p-1}`` only from
the first cell of ``pi_p`` on: it reuses the previous pass's outputs of the
cells before it, so a permutation evaluates exactly the cells a
leave-one-out step does (``sum_j (N - first cell of j)``), once more per
extra permutation. BatchNorm statistics are never updated by these passes.

Exact gradient of ``Labl_i = 1 - phi_i / m`` w.r.t. alpha_i (per-owner
objective). ``L(A + {i})`` does not depend on alpha_i (i is ablated), so
``dphi_i/dalpha_i = T_i = (1/K) sum_k dL(A^k_<i)/dalpha_i`` with ``A^k_<i``
the owners before i in permutation k; ``L_all`` depends on no alpha, so
``dm/dalpha_i = D_i = g_i / N`` with ``g = dL/dalpha``. Then::

    dLabl_i/dalpha_i = -T_i / m + phi_i * D_i / m^2

For ``T`` each pass ``A_p`` is back-propagated w.r.t. ``alpha_{pi_{p+1}}``
only, from the first cell that owner reads (cells before it do not depend on
it, so their outputs enter as constants): one suffix backward per pass, one
pass graph alive at a time. The ``A_0`` term is ``g``. With leave-one-out
values (``T_i = g_i``, ``D_i = g_i - S_i / N``) the same formula gives
:func:`mmddarts.models.losses.ablation_loss.ablation_loss_grads`.

Truncation (``truncation > 0``, off by default): once a pass's loss is within
``truncation * |L - L_all|`` of ``L_all`` (the loss has stopped changing:
ablating more owners no longer moves it), the remaining owners of that
permutation get a marginal of 0 and their passes are skipped (TMC-Shapley,
Ghorbani & Zou 2019). The permutation then telescopes to ``L - L(A_t)``,
so ``D_i = (g_i - (1/K) sum_truncated dL(A^k_t)/dalpha_i) / N``, computed
with one more backward of ``L(A_t)`` per truncated permutation. Truncation
decisions depend on the local batch: it is refused under data parallel.
"""
import math

import torch
import torch.nn.functional as F

from mmddarts.models.losses.ablation_loss import (ablation_guard,
                                                  ablation_loss)
from mmddarts.models.losses.zero_one_loss import zero_one_loss
from .ablation import _grads, frozen_bn_stats

SHAPLEY_ABLATIONS = ('exact', 'reference')


def sample_permutations(n, k, generator=None, device=None):
    """``[k, n]`` long tensor: ``k`` uniform permutations of ``0..n-1``
    (``torch.randperm`` on ``generator``'s device)."""
    if device is None:
        device = generator.device if generator is not None else 'cpu'
    return torch.stack([
        torch.randperm(n, generator=generator, device=device)
        for _ in range(k)
    ])


def marginals_from_losses(perms, losses):
    """Owner-indexed marginal contributions of every permutation.

    Args:
        perms (Tensor): ``[K, N]`` permutations (owner ablated at step p+1).
        losses (Tensor): ``[K, N + 1]`` ``L(A_0) .. L(A_N)`` along each.

    Returns:
        Tensor: ``[K, N]``, ``marg[k, perms[k, p]] = losses[k, p] -
        losses[k, p + 1]``.
    """
    steps = losses[:, :-1] - losses[:, 1:]
    marg = torch.zeros_like(steps)
    marg.scatter_(1, perms.to(steps.device), steps)
    return marg


def shapley_estimate(marg):
    """``(phi [N], se [N] or None)``: the mean over permutations and its
    standard error ``std / sqrt(K)`` (None for one permutation)."""
    k = marg.shape[0]
    phi = marg.mean(0)
    se = marg.std(0) / math.sqrt(k) if k > 1 else None
    return phi, se


def shapley_loss_grads(phi, T, D, eps=1e-8, rel_eps=0.0):
    """``dLabl_i/dalpha_i = -T_i / m + phi_i * D_i / m^2`` (module
    docstring), zeros when the guard of :func:`ablation_guard` fires."""
    n = len(T)
    if phi.numel() != n or len(D) != n:
        raise ValueError(f'shapley_loss_grads: got {phi.numel()} values, '
                         f'{n} T and {len(D)} D terms')
    m, guarded = ablation_guard(phi, eps, rel_eps)
    zero = torch.zeros((), dtype=T[0].dtype, device=T[0].device) if n else None
    # where(): no host sync; the unselected branch may be inf/nan
    return [torch.where(guarded, zero, -T[i] / m + phi[i] * D[i] / (m * m))
            for i in range(n)]


def _ablate(net, w, rnd, owner):
    for t, k in enumerate(net.owner_cells[owner]):
        w[k] = rnd[owner][t]


def _suffix_loss(net, prev, w, start, targets, rec):
    out = net.cells_forward(prev[max(start - 1, 0)], prev[start], w,
                            start=start, record=rec)
    return F.cross_entropy(net.head_forward(out), targets)


def permutation_losses(net, feats, targets, rnd, perms, with_grad=False,
                       loss_scale=1.0, truncation=0.0):
    """Losses along every permutation, and the gradient terms.

    Args:
        net: the supernet.
        feats (list[Tensor]): the full pass's stem and cell outputs (values;
            ``feats[-1]``'s loss is ``L(A_0)``).
        rnd (list[Tensor]): each owner's ablation weights (one draw each).
        perms (Tensor): ``[K, N]`` permutations.
        with_grad (bool): also return ``T`` and ``Dtr`` (below), times
            ``loss_scale``.
        truncation (float): relative truncation tolerance (0: off).

    Returns:
        tuple: ``losses [K, N+1]`` (detached; truncated positions repeat the
        last loss, so their marginals are 0), ``T`` (``sum_k dL(A^k_<i)/
        dalpha_i`` over passes ``p >= 1``, NOT divided by K; the ``A_0``
        term ``g`` is the caller's), ``Dtr`` (``sum_k dL(A^k_t)/dalpha_i``
        over truncated permutations), the number of truncated
        permutations. ``T``, ``Dtr`` are None without grad.
    """
    alphas = net.arch_parameters()
    n = len(alphas)
    first = [cells[0] for cells in net.owner_cells]
    feats = [f.detach() for f in feats]
    T = [torch.zeros_like(a) for a in alphas] if with_grad else None
    Dtr = [torch.zeros_like(a) for a in alphas] if with_grad else None
    n_trunc = 0
    out_losses = []
    with frozen_bn_stats(net), torch.set_grad_enabled(with_grad):
        base = net.position_weights()
        if not with_grad:
            base = [b.detach() for b in base]
        L0 = F.cross_entropy(net.head_forward(feats[-1]), targets).detach()
        L_all = None
        if truncation:
            w = list(base)
            for j in range(n):
                _ablate(net, w, rnd, j)
            with torch.no_grad():
                L_all = _suffix_loss(net, feats, w, 0, targets, None)
            span = (L0 - L_all).abs()
        for perm in perms.tolist():
            w = list(base)
            prev = feats
            losses = [L0]
            truncated = False
            for p in range(1, n + 1):
                j = perm[p - 1]
                _ablate(net, w, rnd, j)
                if truncated:
                    losses.append(losses[-1])
                    continue
                nxt = perm[p] if p < n else None
                grad_pass = with_grad and nxt is not None
                start = min(first[j], first[nxt]) if grad_pass else first[j]
                rec = []
                with torch.set_grad_enabled(grad_pass):
                    loss = _suffix_loss(net, prev, w, start, targets, rec)
                val = loss.detach()
                if (L_all is not None and nxt is not None
                        and bool((val - L_all).abs() <= truncation * span)):
                    truncated = True
                    n_trunc += 1
                if grad_pass:
                    targets_i = perm[p:] if truncated else [nxt]
                    low = min(first[i] for i in targets_i)
                    if low < start:  # recompute from the first cell read
                        del loss
                        loss = _suffix_loss(net, prev, w, low, targets, None)
                    grads = torch.autograd.grad(
                        loss * loss_scale, [alphas[i] for i in targets_i],
                        retain_graph=True, allow_unused=True)
                    acc = Dtr if truncated else T
                    for i, gi in zip(targets_i, grads):
                        if gi is not None:
                            acc[i] += gi
                del loss
                prev = prev[:start + 1] + [r.detach() for r in rec]
                del rec
                losses.append(val)
            out_losses.append(torch.stack(losses))
    return torch.stack(out_losses), T, Dtr, n_trunc


def shapley_arch_step_grads(net, inputs, targets, w01=7.0, w_abl=0.5,
                            ablation='exact', num_permutations=4,
                            truncation=0.0, loss_scale=1.0, generator=None,
                            eps=None, rel_eps=None, reduce=None,
                            weight_grads=None, permutations=None):
    """:func:`~.ablation.arch_step_grads` with Shapley contributions.

    Owner i receives ``loss_scale * (g_i + w01 dL01_i/dalpha_i + w_abl
    dLabl_i/dalpha_i)`` with ``Labl_i = 1 - phi_i / m`` (the leave-one-out
    formula with ``mc_i`` replaced by the Shapley estimate ``phi_i``),
    accumulated into ``alpha.grad``; no weight's ``.grad`` is touched.
    ``ablation='reference'`` (or ``w_abl=0``) only measures and logs.

    Random draws from ``generator`` (default: torch's global RNG): the
    ablation weights of owners 0..N-1 (as leave-one-out), then the K
    permutations.

    Args:
        num_permutations (int): K, sampled permutations per step.
        truncation (float): relative truncation tolerance (0: off; see the
            module docstring). Refused with ``reduce``.
        weight_grads (list, optional): receives ``d(CE * loss_scale)/dw``
            of ``net.weight_parameters()`` (see :mod:`.unrolled`).
        permutations (Tensor, optional): ``[K, N]`` permutations to use
            instead of sampling (e.g. all ``N!`` for the exact value).
        other args: as :func:`~.ablation.arch_step_grads`; under ``reduce``
            the losses of every pass and the linear gradient terms are
            averaged over ranks before the non-linear formula.

    Returns:
        dict: detached ``loss``, ``ce``, ``l01`` [N], ``mc`` [N] (the
        Shapley estimates), ``mc_se`` [N] (their standard errors, K >= 2),
        ``labl`` [N], ``abl_m``, ``abl_guarded``, and with truncation
        ``shapley_truncated`` (fraction of truncated permutations).
    """
    if ablation not in SHAPLEY_ABLATIONS:
        raise ValueError(f'shapley_arch_step_grads: ablation must be one of '
                         f'{SHAPLEY_ABLATIONS} with Shapley contributions, '
                         f'got {ablation!r}')
    k = int(num_permutations if permutations is None
            else len(permutations))
    if k < 1:
        raise ValueError(f'shapley_arch_step_grads: num_permutations must '
                         f'be >= 1, got {num_permutations}')
    if truncation < 0:
        raise ValueError(f'shapley_arch_step_grads: truncation must be >= '
                         f'0, got {truncation}')
    if truncation and reduce is not None:
        raise ValueError('shapley_arch_step_grads: truncation decisions are '
                         'per rank; set shapley_truncation=0 under data '
                         'parallel')
    eps = net.ablation_eps if eps is None else eps
    if rel_eps is None:
        rel_eps = getattr(net, 'ablation_rel_eps', 0.0)
    alphas = net.arch_parameters()
    n = len(alphas)
    rnd = [net.draw_ablation_weights(j, generator) for j in range(n)]
    if permutations is None:
        perms = sample_permutations(n, k, generator,
                                    device=alphas[0].device)
    else:
        perms = torch.as_tensor(permutations, dtype=torch.long)
        if perms.dim() != 2 or perms.shape[1] != n or not all(
                sorted(p) == list(range(n)) for p in perms.tolist()):
            raise ValueError(f'shapley_arch_step_grads: permutations must '
                             f'be [K, {n}] permutations of 0..{n - 1}, got '
                             f'{perms.tolist()}')

    weights = net.position_weights()
    stem = net.stem_forward(inputs)
    feats = [stem]
    net.cells_forward(stem, stem, weights, record=feats)
    ce = F.cross_entropy(net.head_forward(feats[-1]), targets)
    l01 = torch.stack([zero_one_loss(a) for a in alphas])
    total = [torch.zeros_like(a) for a in alphas]
    if w01:
        for t, gi in zip(total, _grads(l01.sum() * (w01 * loss_scale),
                                       alphas)):
            t += gi
    wps = [] if weight_grads is None else net.weight_parameters()
    g = _grads(ce * loss_scale, alphas + wps)  # frees the full graph
    if wps:
        weight_grads.extend(g[n:])
        g = g[:n]
    feats = [f.detach() for f in feats]
    del stem, weights

    with_grad = ablation == 'exact' and bool(w_abl)
    losses, T, Dtr, n_trunc = permutation_losses(
        net, feats, targets, rnd, perms, with_grad=with_grad,
        loss_scale=loss_scale, truncation=truncation)
    del feats
    if with_grad:
        for j in perms[:, 0].tolist():  # the A_0 pass: dL/dalpha
            T[j] = T[j] + g[j]
        T = [t / k for t in T]
        Dtr = [d / k for d in Dtr]
    ce = ce.detach().clone()
    losses = losses.to(ce.dtype)
    if reduce is not None:
        reduce([ce, losses] + g + ([] if T is None else T + Dtr))
    losses[:, 0] = ce  # L(A_0) is the (reduced) full loss

    marg = marginals_from_losses(perms, losses)
    phi, se = shapley_estimate(marg)
    labl, m, guarded = ablation_loss(phi, eps, rel_eps)
    logs = dict(ce=ce, l01=l01.detach(), mc=phi, labl=labl, abl_m=m,
                abl_guarded=guarded.float())
    if se is not None:
        logs['mc_se'] = se
    if truncation:
        logs['shapley_truncated'] = torch.tensor(n_trunc / k)
    for t, gi in zip(total, g):
        t += gi
    if with_grad:
        D = [(gi - d) / n for gi, d in zip(g, Dtr)]
        for t, d in zip(total, shapley_loss_grads(phi.to(g[0].dtype), T, D,
                                                  eps, rel_eps)):
            t += w_abl * d
    for a, t in zip(alphas, total):
        if a.grad is None:
            a.grad = t.detach()
        else:
            a.grad.add_(t.detach())
    logs['loss'] = ce + w01 * l01.detach().mean() + w_abl * labl.mean()
    return logs
