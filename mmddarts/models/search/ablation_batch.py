"""The ablated passes of one architecture step, run as member batches.

Ablation j replaces the op weights of every cell of alpha owner j with
random values; cells before its first cell compute exactly what the full
pass computed (prefix reuse), so it starts from the full pass' recorded
inputs of that cell. Run one after another, the N ablations cost 36 cell
passes of 8 cells, each a few hundred kernel launches. Here they run
*together*, cell by cell: at cell k every ablation that has started is a
*member* of one batched pass (layout and per-member BatchNorm in
:mod:`.member_ops`); ablation j joins at its first cell with the full
pass' inputs of that cell, and only its own cells use its random weights.
N ablations then cost N batched cell passes (8 instead of 36 for 8 cells),
the same arithmetic, far fewer launches.

Memory: the members' graphs coexist, so a batch of all ablations holds
their whole suffix graphs at once. ``checkpoint`` keeps only every cell's
inputs and recomputes the cell in the backward; ``chunk`` bounds the
members per batch (contiguous in start order; ``chunk=1`` is the
one-by-one evaluation).
"""
import torch
import torch.nn.functional as F


def member_order(net):
    """Alpha owners sorted by their first cell (the order they join)."""
    return sorted(range(net.num_owners), key=lambda j: net.owner_cells[j][0])


def split_chunks(order, chunk):
    """Consecutive groups of at most ``chunk`` members (``None``: one)."""
    if chunk is None or chunk >= len(order):
        return [list(order)]
    if int(chunk) < 1:
        raise ValueError(f'ablation chunk must be >= 1 or None, got {chunk}')
    chunk = int(chunk)
    return [list(order[i:i + chunk]) for i in range(0, len(order), chunk)]


def _join(state, new, members):
    """Append one member's ``[B, ...]`` tensor to a ``[B * members, ...]``
    batch (batch-major layout): one ``cat`` on the member axis."""
    if state is None:
        return new
    B = new.shape[0]
    return torch.cat([state.reshape(B, members, *state.shape[1:]),
                      new.unsqueeze(1)], dim=1).reshape(
                          B * (members + 1), *new.shape[1:])


def _run_cell(cell, s0, s1, w, members, checkpoint):
    if not checkpoint or not torch.is_grad_enabled():
        return cell(s0, s1, w, members=members)
    # keep only the cell's inputs; its graph is rebuilt during the backward
    # (which the caller runs inside frozen_bn_stats, like the forward)
    return torch.utils.checkpoint.checkpoint(
        cell, s0, s1, w, members, use_reentrant=False)


PREFIX = -1  # the member that runs the full network (prefix mode)


def _member(state, members, g):
    """Member ``g`` 's ``[B, ...]`` slice of a batch-major batch (a view)."""
    B = state.shape[0] // members
    return state.reshape(B, members, *state.shape[1:])[:, g]


def chunk_losses(net, feats, weights, rnd, targets, members, entry,
                 checkpoint=False, prefix=None):
    """Losses ``[len(members)]`` of the ablations ``members`` (owner ids,
    sorted by first cell) run as one batch.

    Args:
        feats (list[Tensor]): stem and every cell's output of the full pass.
        weights (list[Tensor]): op weights of every cell position.
        rnd (dict): owner -> its random weights ``[cells, edges, ops]``.
        entry (callable): ``entry(index) -> tensor``: the full pass' record
            ``feats[index]`` as the member joining there should read it (a
            detached leaf when its cotangent is wanted).
        checkpoint (bool): keep only each cell's inputs for the backward
            and recompute the cell there (one more batched forward, far
            less memory).
        prefix (Tensor, optional): the stem output: then the full network
            runs as one more member (first, real weights in every cell,
            its loss not returned) and every ablation joins from ITS
            states instead of ``entry``: a backward of the losses then
            reaches the alphas through the shared prefix too, in the same
            batched pass (no separate prefix backward, no full pass
            needed beforehand).
    """
    starts = [net.owner_cells[j][0] for j in members]
    pos = {j: {k: t for t, k in enumerate(net.owner_cells[j])}
           for j in members}
    pos[PREFIX] = {}
    s0 = s1 = None
    active = []
    if prefix is not None:
        s0 = s1 = prefix
        active.append(PREFIX)
    for k in range(0 if prefix is not None else starts[0], net.num_cells):
        if prefix is not None:
            f0, f1 = _member(s0, len(active), 0), _member(s1, len(active), 0)
        for j, start in zip(members, starts):
            if start == k:
                g = len(active)
                s0 = _join(s0, f0 if prefix is not None else entry(
                    max(k - 1, 0)), g)
                s1 = _join(s1, f1 if prefix is not None else entry(k), g)
                active.append(j)
        w = torch.stack([rnd[j][pos[j][k]] if k in pos[j] else weights[k]
                         for j in active])
        out = _run_cell(net.cells[k], s0, s1, w, len(active), checkpoint)
        s0, s1 = s1, out
    G = len(active)
    logits = net.head_forward(s1)
    B = targets.shape[0]
    ce = F.cross_entropy(logits, targets.repeat_interleave(G),
                         reduction='none').reshape(B, G).mean(0)
    return ce[1:] if prefix is not None else ce
