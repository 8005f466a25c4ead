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
- the last, affine-free BatchNorm of every conv candidate (and of
  FactorizedReduce) on the edges into node ``i`` runs as ONE batch-norm
  over their channel concatenation (per-channel statistics are unchanged;
  running statistics are gathered and written back to every module);
- node ``i`` stacks the outputs of all its incoming edges' candidates and
  mixes them with ONE matrix product with the flattened op weights, instead
  of one multiply and one add per candidate.

:meth:`SearchCell.forward_per_edge` keeps the plain per-edge loop (DARTS'
formulation) as the reference the tests compare with.
"""
import torch
import torch.nn as nn

from mmddarts.models.ops import FactorizedReduce, ReLUConvBN
from torch.nn.modules.batchnorm import _BatchNorm

from .member_ops import (factorized_reduce, leaf_steps, merged_bn, run_op,
                         run_steps, shifted_for_reduce, starts_with_relu)
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
        op_affine: learnable BN parameters in the candidate ops (see
            :class:`MixedOp`); the preprocessing stays affine-free.
    """

    def __init__(self, steps, C_pp, C_p, C, reduction, reduction_prev,
                 op_names, op_affine=False):
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
                self.edges.append(MixedOp(C, stride, op_names,
                                          affine=op_affine))
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
        self._uses = self._count_uses()
        self._register_mix_orders()

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

    def _register_mix_orders(self):
        """Per node: the positions (in its ``outs``: edge-major, op order)
        of the candidates whose tail BN joins the node's merged BN, and a
        (non-persistent) permutation matrix that puts the op weights in the
        order :meth:`_mix_block` reads them (those first, then the others).
        A matrix product rather than an index: its backward is a product
        too, where an index's would be ``index_add``, which CUDA's
        deterministic mode refuses. Static, so a compiled or checkpointed
        cell sees the same graph every call; a node whose runtime layout
        differs (a module swapped after construction) falls back to
        :func:`_mix`."""
        self._block_plan = []
        e = 0
        for i in range(self.steps):
            block, rest, pos = [], [], 0
            for _ in range(2 + i):
                for op, plan in zip(self.edges[e].ops, self._plan[e]):
                    (block if _joins_merged_bn(op, *plan) else
                     rest).append(pos)
                    pos += 1
                e += 1
            self._block_plan.append(tuple(block))
            order = block + rest
            perm = torch.zeros(len(order), len(order))
            perm[order, torch.arange(len(order))] = 1.0
            self.register_buffer(f'mix_perm{i}', perm, persistent=False)

    def _count_uses(self):
        """How many ops read each shared tensor of every state: its raw
        value, its ReLU, its FactorizedReduce shift and every shared
        parameter-free output (see :func:`_fan_out`)."""
        uses = [dict() for _ in range(2 + self.steps)]

        def add(j, key, n=1):
            uses[j][key] = uses[j].get(key, 0) + n

        seen = set()
        for e, (src, edge) in enumerate(zip(self.edge_source, self.edges)):
            for t, (op, (shared, relu, fr)) in enumerate(
                    zip(edge.ops, self._plan[e])):
                if isinstance(op, nn.Identity):
                    add(src, 'raw')  # the node's stack reads the state
                    continue
                if shared is not None:
                    add(src, shared)  # the node's stack reads the output
                    if (src, shared) in seen:
                        continue
                    seen.add((src, shared))
                if relu:
                    if 'relu' not in uses[src]:
                        add(src, 'raw')
                    add(src, 'relu')
                    if fr:
                        if 'shift' not in uses[src]:
                            add(src, 'relu')
                        add(src, 'shift')
                else:
                    add(src, 'raw')
        for j in range(2, 2 + self.steps):
            add(j, 'raw')  # the cell's output concatenation
        return uses

    # ----------------------------------------------------------- forward
    def _preprocess(self, s0, s1, members, counters):
        out = []
        for pre, s in ((self.preprocess0, s0), (self.preprocess1, s1)):
            if isinstance(pre, FactorizedReduce):
                out.append(factorized_reduce(pre, pre.relu(s), members,
                                             counters=counters))
            else:
                out.append(run_steps(leaf_steps(pre)[0], s, members,
                                     counters))
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
        # BN step counters, incremented together at the end (member_bn)
        counters = []
        states = self._preprocess(s0, s1, members, counters)
        # state index -> key -> views of its shared tensors (_fan_out)
        cache = {j: {'raw': _fan_out(h, self._uses[j].get('raw', 0))}
                 for j, h in enumerate(states)}
        offset = 0
        for i in range(self.steps):
            outs, pending = [], []
            for j in range(len(states)):
                outs.extend(self._edge_outputs(offset + j, j, cache,
                                               members, counters, pending))
            n_in = len(states)
            w = weights[..., offset:offset + n_in, :]
            normed = None
            if pending:  # the candidates' tail BNs as one kernel
                xs = [x for _, x in pending]
                # the block is a stack only if every part has C channels
                normed = merged_bn([b for b, _ in pending], xs, members,
                                   counters, whole=len({
                                       x.shape[1] for x in xs}) == 1)
            if isinstance(normed, torch.Tensor):
                node = self._mix_block(i, normed, outs, w, members)
            else:
                if normed is not None:
                    outs = [normed[o] if isinstance(o, int) else o
                            for o in outs]
                node = _mix(outs, w, members)
            j = len(states)
            states.append(node)
            cache[j] = {'raw': _fan_out(node, self._uses[j].get('raw', 0))}
            offset += n_in
        if counters:
            with torch.no_grad():
                torch._foreach_add_(counters, 1)
        return torch.cat([_take(cache[j]['raw'])
                          for j in range(2, len(states))], dim=1)

    def _edge_outputs(self, e, j, cache, members, counters, pending=None):
        entry, uses = cache[j], self._uses[j]
        outs = []
        for op, (shared, _, fr) in zip(self.edges[e].ops, self._plan[e]):
            if isinstance(op, nn.Identity):
                outs.append(_take(entry['raw']))
                continue
            if shared is not None and shared in entry:
                outs.append(_take(entry[shared]))
                continue
            # checked on the live modules: a swapped activation (tests swap
            # ReLU for SiLU) simply runs the op on the raw state. A tail
            # BN (not of a shared op) joins the node's merged BN: the op's
            # place holds its index in ``pending`` until then.
            tail = shared is None and pending is not None
            if fr and type(op.relu) is nn.ReLU:
                xr = self._shared_relu(entry, uses)
                if 'shift' not in entry:
                    entry['shift'] = _fan_out(shifted_for_reduce(
                        self._shared_relu(entry, uses)), uses.get('shift', 0))
                y = factorized_reduce(op, xr, members,
                                      _take(entry['shift']), counters,
                                      with_bn=not tail)
                if tail:
                    pending.append((op.bn, y))
                    y = len(pending) - 1
            elif fr:
                y = run_op(op, _take(entry['raw']), members,
                           counters=counters)
            else:
                steps, leading_relu = leaf_steps(op)
                if leading_relu and type(steps[0]) is nn.ReLU:
                    steps, x_in = steps[1:], self._shared_relu(entry, uses)
                else:
                    x_in = _take(entry['raw'])
                if tail and len(steps) > 1 and isinstance(steps[-1],
                                                          _BatchNorm):
                    pending.append((steps[-1], run_steps(
                        steps[:-1], x_in, members, counters)))
                    y = len(pending) - 1
                else:
                    y = run_steps(steps, x_in, members, counters)
            if shared is not None:
                entry[shared] = _fan_out(y, uses[shared])
                y = _take(entry[shared])
            outs.append(y)
        return outs

    def _mix_block(self, node, block, outs, w, members):
        """Node ``node`` 's mix when its conv candidates' merged BN output
        ``block`` holds their outputs side by side (``outs`` has their
        indices in it there, the other candidates' tensors elsewhere).

        The block read as ``[B, members, P, CHW]`` is already a stack of
        those candidates (no copy; its gradient goes to the BN backward
        whole); only the others are stacked. Both are mixed in one batched
        product each (``baddbmm`` adds the second to the first). The op
        weights are put in (block, rest) order by one product with the
        node's permutation matrix."""
        block_pos = tuple(t for t, o in enumerate(outs)
                          if isinstance(o, int))
        if block_pos != self._block_plan[node]:
            parts = block.split(block.shape[1] // len(block_pos), dim=1)
            return _mix([parts[o] if isinstance(o, int) else o
                         for o in outs], w, members)
        rest = [o for o in outs if not isinstance(o, int)]
        perm = getattr(self, f'mix_perm{node}')
        N = block.shape[0]
        P, M = len(block_pos), len(outs)
        B = N // members
        wsel = torch.mm(w.reshape(members, M), perm.to(w.dtype))
        # the [1, P] weights of each image of each member: a broadcast
        # copy (tiny) so both products are plain bmm's over B * members
        wb = wsel.unsqueeze(0).expand(B, members, M).reshape(N, 1, M)
        blk = block.reshape(N, P, -1)
        if not rest:
            out = torch.bmm(wb, blk)
        else:
            stacked = torch.stack(rest, dim=1)
            out = torch.baddbmm(torch.bmm(wb[:, :, P:],
                                          stacked.reshape(N, M - P, -1)),
                                wb[:, :, :P], blk)
        return out.reshape(N, block.shape[1] // P, *block.shape[2:])

    @staticmethod
    def _shared_relu(entry, uses):
        if 'relu' not in entry:
            entry['relu'] = _fan_out(torch.relu(_take(entry['raw'])),
                                     uses.get('relu', 0))
        return _take(entry['relu'])

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


def _joins_merged_bn(op, shared, relu, fr):
    """Whether :meth:`SearchCell._edge_outputs` defers ``op`` 's tail BN to
    the node's merged BN (the same tests, on the modules as built)."""
    if isinstance(op, nn.Identity) or shared is not None:
        return False
    if fr:
        return type(op.relu) is nn.ReLU
    steps, leading_relu = leaf_steps(op)
    if leading_relu and type(steps[0]) is nn.ReLU:
        steps = steps[1:]
    return len(steps) > 1 and isinstance(steps[-1], _BatchNorm)


# From this many readers on, a shared tensor is handed out as views of one
# expand: its gradient is then ONE stack and ONE sum instead of one add per
# extra reader (autograd accumulates a tensor's gradients pairwise).
FAN_OUT_MIN = 4


def _fan_out(t, n):
    """``[t, ...]``: ``n`` readers' handles on ``t`` (see FAN_OUT_MIN)."""
    if n < FAN_OUT_MIN:
        return [t]
    return list(t.unsqueeze(0).expand(n, *t.shape).unbind(0))


def _take(handles):
    """The next reader's handle (the last one is reused if a reader was
    not counted: still correct, only one more add in backward)."""
    return handles.pop() if len(handles) > 1 else handles[0]


def _mix(outs, w, members):
    """``sum_m w[m] * outs[m]`` in one product: ``w`` is ``[edges, ops]``
    (edge-major, like ``outs``) or ``[members, edges, ops]``.

    With members the candidates are stacked next to the member axis
    (``[B, members, M, CHW]``, batch-major like every member batch), so
    each image of each member is one ``[1, M] x [M, CHW]`` product: one
    batched matmul forward and two backward, no full-size temporaries
    (a broadcast multiply and sum would write and read one)."""
    if members == 1:
        stacked = torch.stack(outs)
        M = stacked.shape[0]
        flat = w.reshape(1, M)
        return torch.mm(flat, stacked.reshape(M, -1)).reshape(
            stacked.shape[1:])
    stacked = torch.stack(outs, dim=1)
    N, M = stacked.shape[:2]
    mixed = torch.matmul(w.reshape(members, 1, M),
                         stacked.reshape(N // members, members, M, -1))
    return mixed.reshape(N, *stacked.shape[2:])
