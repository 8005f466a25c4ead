"""D-DARTS' ablation loss and its exact per-cell gradient.

With ``L`` the supernet loss and ``L_j`` the loss with cell (alpha owner) j
ablated, the marginal contribution is ``mc_j = L - L_j``, ``m = mean_j mc_j``
and ``Labl_i = -(mc_i - m) / m = 1 - mc_i / m`` (the reference's formula).
``sum_i Labl_i == 0``: the loss acts only through per-cell gradients.

Exact gradient of ``Labl_i`` w.r.t. the cell's own alpha_i (derivation):
``L_i`` does not depend on alpha_i (cell i's op weights are random), so
``d mc_i / d alpha_i = g_i`` with ``g = dL/dalpha``; and
``d m / d alpha_i = (1/N) sum_j (g_i - dL_j/dalpha_i) = g_i - S_i / N`` with
``S = d(sum_j L_j)/dalpha``. The quotient rule on ``1 - mc_i / m`` gives::

    dLabl_i/dalpha_i = (mc_i * (g_i - S_i / N) - m * g_i) / m^2
                     = ((mc_i - m) * g_i - (mc_i / N) * S_i) / m^2

so two backward passes (g and S, each for all cells at once) are enough.

No host synchronisation: the guard is a 0-d bool tensor on ``mc``'s device
and selects with ``torch.where`` (a search step never waits for the GPU to
decide it); the values are those of the former ``if guarded:`` branches.
"""
import torch


def ablation_guard(mc, eps=1e-8, rel_eps=0.0):
    """``(m, guarded)``: the mean contribution and whether it is too small.

    ``Labl_i = 1 - mc_i / m`` and its gradient (``/ m^2``) blow up as
    ``m -> 0``. At the start of a search ``m`` is a near-cancelling sum of
    contributions of both signs (random ablation values average about the
    initial sigmoid weight of 0.5); its sign flips from batch to batch and
    single steps gave ablation gradients 1,000x the cross-entropy one. The
    guard fires when ``|m| <= max(eps, rel_eps * mean_j |mc_j|)``: ``eps``
    is the absolute floor (the reference tests ``m == 0``), ``rel_eps``
    makes "near zero" relative to the contributions' own scale, so it does
    not depend on the loss units.

    ``guarded`` is a 0-d bool tensor on ``mc``'s device (``bool(guarded)``
    reads it on the host, a device sync on a GPU).
    """
    m = mc.mean()
    if rel_eps:
        # max(eps, rel_eps * mean |mc|) in mc's dtype: the comparison casts
        # a python eps to that dtype too, and rounding is monotone, so the
        # decision is the one of the former python max()
        floor = torch.clamp(rel_eps * mc.abs().mean(), min=float(eps))
        return m, m.abs() <= floor
    return m, m.abs() <= eps


def ablation_loss(mc, eps=1e-8, rel_eps=0.0):
    """Per-cell ablation losses from the marginal contributions.

    Args:
        mc (Tensor): ``[N]`` marginal contributions ``L - L_j``.
        eps (float): absolute guard; see :func:`ablation_guard`.
        rel_eps (float): relative guard; see :func:`ablation_guard`. When
            either fires every ``Labl_i`` is 0 (the reference does so for
            ``m == 0``).

    Returns:
        tuple: ``(labl [N], m, guarded)`` with ``guarded`` a 0-d bool
        tensor telling whether the guard fired.
    """
    m, guarded = ablation_guard(mc, eps, rel_eps)
    # where(): 1 - mc / m may be inf/nan when the guard fires; not selected
    return torch.where(guarded, torch.zeros_like(mc), 1 - mc / m), m, guarded


def ablation_loss_grads(mc, g, S, eps=1e-8, rel_eps=0.0):
    """``dLabl_i / dalpha_i`` for every cell (see the module docstring).

    Args:
        mc (Tensor): ``[N]`` marginal contributions (values, no graph).
        g (list[Tensor]): ``dL/dalpha_i`` per cell.
        S (list[Tensor]): ``d(sum_j L_j)/dalpha_i`` per cell.
        eps, rel_eps (float): the guard of :func:`ablation_guard`; when it
            fires every gradient is zero.

    Returns:
        list[Tensor]: one gradient per cell, shaped like ``g[i]``.
    """
    n = len(g)
    if mc.numel() != n or len(S) != n:
        raise ValueError(f'ablation_loss_grads: got {mc.numel()} '
                         f'contributions, {n} g and {len(S)} S terms')
    m, guarded = ablation_guard(mc, eps, rel_eps)
    m2 = m * m
    zero = torch.zeros((), dtype=g[0].dtype, device=g[0].device) if n else None
    return [torch.where(guarded, zero,
                        ((mc[i] - m) * g[i] - (mc[i] / n) * S[i]) / m2)
            for i in range(n)]
