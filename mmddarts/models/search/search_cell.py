"""The cell of the search supernet: every edge is a mixed op.

Evaluation order and kernels (issue 9: a search step is bound by kernel
launches). Per cell input state ``h`` (the two preprocessed inputs and every
node but the last):

- ``relu(h)`` is computed once and shared by every candidate that starts
  with a ReLU (sep/dil convs, FactorizedReduce) on every edge reading ``h``;
- parameter-free candidates (pools with their affine-free BN, identity) give
  the same tensor on every edge reading ``h``; the cell shares their modules
  between those edges (so the running statistics every copy would hold are
  literally one tensor) and computes them once;
- node ``i`` stacks the outputs of all its incoming edges' candidates and
  mixes them with ONE matrix product with the flattened op weights, instead
  of one multiply and one add per candidate.

:meth:`SearchCell.forward_per_edge` keeps the plain per-edge loop (DARTS'
formulation) as the reference the tests compare with.
"""
import torch
import torch.nn as nn

from mmddarts.models.ops import FactorizedReduce, ReLUConvBN
from .member_ops import (run_op, run_steps, leaf_steps, shifted_for_reduce,
                         starts_with_relu, factorized_reduce)
from .mixed_op import MixedOp


def cell_num_edges(steps):
    """Edges of a cell with ``steps`` intermediate nodes (14 for 4)."""
    return sum(2 + i for i in range(steps))


def _param_free(module):
    return next(module.parameters(), None) is None


class SearchCell(nn.Module):
    """DARTS' search cell.

    Inputs are the outputs of the two previous cells, preprocessed to ``C``
    channels (FactorizedReduce if the previous cell reduced, else
    ReLU-1x1conv-BN; ``affine=False`` during search). Node ``2+i`` sums the
    mixed ops of the edges from nodes ``0 .. i+1``; edges are numbered node by
    node (DARTS' order, the row order of alpha). The output concatenates the
    ``steps`` intermediate nodes (``steps * C`` channels).

    Args:
        steps: intermediate nodes.
        C_pp, C_p: channels of the outputs of cells k-2 and k-1.
        C: channels of each node.
        reduction: this cell halves the resolution (edges from the inputs
            have stride 2).
        reduction_prev: cell k-1 reduced, so input k-2 is twice as large.
        op_names: candidate ops (the columns of the weights).
    """

    def __init__(self, steps, C_pp, C_p, C, reduction, reduction_prev,
                 op_names):
        super().__init__()
        self.steps = steps
        self.reduction = reduction
        if reduction_prev:
            self.preprocess0 = FactorizedReduce(C_pp, C, affine=False)
        else:
            self.preprocess0 = ReLUConvBN(C_pp, C, 1, 1, 0, affine=False)
        self.preprocess1 = ReLUConvBN(C_p, C, 1, 1, 0, affine=False)
        self.edges = nn.ModuleList()
        self.edge_source = []  # input state index of every edge
        for i in range(steps):
            for j in range(2 + i):
                stride = 2 if reduction and j < 2 else 1
                self.edges.append(MixedOp(C, stride, op_names))
                self.edge_source.append(j)
        self.num_edges = len(self.edges)
        self.out_channels = steps * C
        self.columns = self.edges[0].columns
        self._share_param_free_ops()
        # static per-op plan: (key of the output shared by the edges reading
        # the same state, or None; shares the state's relu; FactorizedReduce)
        self._plan = [[
            (('op', t) if _param_free(op) else None, starts_with_relu(op),
             isinstance(op, FactorizedReduce))
            for t, op in enumerate(edge.ops)] for edge in self.edges]

    def _share_param_free_ops(self):
        """Edges reading the same state hold ONE module per parameter-free
        candidate: same input, same stride, same output, same BN statistics
        (they were identical copies before; state_dict keys are unchanged)."""
        first = {}
        for e, src in enumerate(self.edge_source):
            ops = self.edges[e].ops
            for t in range(len(ops)):
                if not _param_free(ops[t]):
                    continue
                key = (src, t)
                if key in first:
                    ops[t] = first[key]
                else:
                    first[key] = ops[t]

    # ----------------------------------------------------------- forward
    def _preprocess(self, s0, s1, members):
        out = []
        for pre, s in ((self.preprocess0, s0), (self.preprocess1, s1)):
            if isinstance(pre, FactorizedReduce):
                out.append(factorized_reduce(pre, pre.relu(s), members))
            else:
                out.append(run_steps(leaf_steps(pre)[0], s, members))
        return out

    def forward(self, s0, s1, weights, members=1):
        """``weights``: ``[edges, ops]`` op weights of this cell, or
        ``[members, edges, ops]`` for a member-batched pass (inputs
        ``[B * members, ...]`` batch-major, see :mod:`.member_ops`)."""
        if weights.shape[-2] != self.num_edges:
            raise ValueError(f'cell weights have {weights.shape[-2]} rows but '
                             f'the cell has {self.num_edges} edges')
        if members > 1 and (weights.dim() != 3 or
                            weights.shape[0] != members):
            raise ValueError(f'a {members}-member pass needs weights '
                             f'[{members}, edges, ops], got '
                             f'{tuple(weights.shape)}')
        if len(self.columns) != weights.shape[-1]:  # drop 'none' columns
            weights = weights[..., self.columns]
        states = self._preprocess(s0, s1, members)
        cache = {}  # state index -> its shared relu / shift / op outputs
        offset = 0
        for i in range(self.steps):
            outs = []
            for j in range(len(states)):
                outs.extend(self._edge_outputs(offset + j, j, states[j],
                                               cache, members))
            n_in = len(states)
            w = weights[..., offset:offset + n_in, :]
            states.append(_mix(outs, w, members))
            offset += n_in
        return torch.cat(states[2:], dim=1)

    def _edge_outputs(self, e, j, h, cache, members):
        entry = cache.setdefault(j, {})
        outs = []
        for op, (shared, relu, fr) in zip(self.edges[e].ops, self._plan[e]):
            if shared is not None and shared in entry:
                outs.append(entry[shared])
                continue
            xr = shifted = None
            if relu:
                if 'relu' not in entry:
                    entry['relu'] = torch.relu(h)
                xr = entry['relu']
                if fr:
                    if 'shift' not in entry:
                        entry['shift'] = shifted_for_reduce(xr)
                    shifted = entry['shift']
            y = run_op(op, h, members, xr, shifted)
            if shared is not None:
                entry[shared] = y
            outs.append(y)
        return outs

    def forward_per_edge(self, s0, s1, weights):
        """DARTS' plain evaluation: ``sum_k w_k * op_k(h)`` edge by edge
        (:meth:`MixedOp.forward`); the reference of the fused :meth:`forward`.
        Shared parameter-free modules update their statistics once per
        edge here."""
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        offset = 0
        for _ in range(self.steps):
            node = None
            for j, h in enumerate(states):
                y = self.edges[offset + j](h, weights[offset + j])
                node = y if node is None else node + y
            offset += len(states)
            states.append(node)
        return torch.cat(states[2:], dim=1)


def _mix(outs, w, members):
    """``sum_m w[m] * outs[m]`` in one product: ``w`` is ``[edges, ops]``
    (edge-major, like ``outs``) or ``[members, edges, ops]``."""
    stacked = torch.stack(outs)
    M = stacked.shape[0]
    if members == 1:
        flat = w.reshape(1, M)
        return torch.mm(flat, stacked.reshape(M, -1)).reshape(
            stacked.shape[1:])
    N = stacked.shape[1]
    wt = w.reshape(members, M).t().reshape(M, 1, members, 1)
    mixed = (stacked.reshape(M, N // members, members, -1) * wt).sum(0)
    return mixed.reshape(stacked.shape[1:])
