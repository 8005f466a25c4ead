"""The cell of a derived (evaluation) network, built from one gene.

Every edge ``(op, to, from)`` of the gene is an op; ops into the same node are
summed; the cell output concatenates the nodes listed in ``concat`` (by
default every intermediate node with at least one incoming edge, so cells may
differ in width).
"""
import torch
import torch.nn as nn

from mmddarts.structures.genotype import gene_concat
from .aca_edge import build_edge
from .ops import FactorizedReduce, Identity, ReLUConvBN

DROP_PATH_MODES = ('node', 'edge')


def drop_path(x, drop_prob, generator=None):
    """Zero whole samples with probability ``drop_prob`` and rescale the rest
    by ``1 / (1 - drop_prob)`` (DARTS' drop path, not in place).

    ``drop_prob`` may be a 0-d tensor (what compiled cells get): the rate is
    then a graph input rather than a constant, so a new rate every epoch
    does not recompile; the mask is drawn as ``rand < keep`` (the same
    distribution as ``bernoulli_(keep)``, another random stream)."""
    if isinstance(drop_prob, torch.Tensor):
        keep = 1. - drop_prob
        mask = torch.rand((x.size(0), 1, 1, 1), dtype=keep.dtype,
                          device=x.device, generator=generator) < keep
        return x * mask / keep
    if drop_prob <= 0.:
        return x
    keep = 1. - drop_prob
    mask = torch.empty((x.size(0), 1, 1, 1), dtype=x.dtype, device=x.device)
    mask.bernoulli_(keep, generator=generator)
    return x * mask / keep


class DerivedCell(nn.Module):
    """A cell with fixed ops.

    Args:
        gene: ``(op, to, from)`` edges; nodes 0/1 are the outputs of the
            cells ``k-2`` / ``k-1`` after preprocessing.
        C_prev_prev, C_prev: channels of the two cell inputs.
        C: channels of every node in this cell.
        reduction: halve the resolution (edges reading node 0 or 1 use
            stride 2).
        reduction_prev: the previous cell reduced, so input 0 has twice the
            resolution of input 1 and is preprocessed by FactorizedReduce.
        concat: nodes concatenated as output; default: nodes with an input.
        drop_path_mode: ``'node'`` drops whole node outputs; ``'edge'`` drops
            each op output except identities, as DARTS' code does.
        keep_unused_inputs: build the preprocessing of an input that no
            edge reads (idle weights, as the reference; needed to match the
            papers' parameter counts), with ``requires_grad=False`` so DDP
            needs no ``find_unused_parameters``. ``False`` leaves it out.
        name: used in error messages (e.g. ``'cell 3'``).
        allocations: ACA channel allocations, one per edge of ``gene``
            (``None`` entries: plain edges); see :mod:`.aca_edge`.
    """

    def __init__(self, gene, C_prev_prev, C_prev, C, reduction,
                 reduction_prev, concat=None, drop_path_mode='node',
                 keep_unused_inputs=True, name='cell', allocations=None):
        super().__init__()
        if drop_path_mode not in DROP_PATH_MODES:
            raise ValueError(f'{name}: drop_path_mode must be one of '
                             f'{DROP_PATH_MODES}, got {drop_path_mode!r}')
        gene = [tuple(edge) for edge in gene]
        if not gene:
            raise ValueError(f'{name}: the gene has no edge')
        fed = set(gene_concat(gene))
        concat = tuple(gene_concat(gene) if concat is None else concat)
        starved = [n for n in concat if n not in fed]
        if not concat or starved:
            raise ValueError(
                f'{name}: concat {list(concat)} lists node(s) {starved} '
                f'without incoming edge (nodes with input: {sorted(fed)})')
        self.reduction = reduction
        self.drop_path_mode = drop_path_mode
        self.concat = concat
        self.multiplier = len(concat)
        self.C = C
        self.out_channels = self.multiplier * C
        self.used_inputs = {src for _, _, src in gene if src < 2}
        # The reference builds both preprocessings even when no edge reads
        # an input (the papers' parameter counts include them).
        if reduction_prev:
            self.preprocess0 = FactorizedReduce(C_prev_prev, C)
        else:
            self.preprocess0 = ReLUConvBN(C_prev_prev, C, 1, 1, 0)
        self.preprocess1 = ReLUConvBN(C_prev, C, 1, 1, 0)
        for i in (0, 1):
            if i in self.used_inputs:
                continue
            if keep_unused_inputs:
                # Idle but counted; frozen so that DDP does not wait for
                # gradients that never come (it fails with "Expected to have
                # finished reduction" unless find_unused_parameters=True).
                getattr(self, f'preprocess{i}').requires_grad_(False)
            else:
                setattr(self, f'preprocess{i}', None)
        # Keep the gene's edge order for the module list (stable state dict
        # keys) but evaluate node by node.
        self.edges = gene
        if allocations is None:
            allocations = [None] * len(gene)
        if len(allocations) != len(gene):
            raise ValueError(f'{name}: {len(allocations)} allocations for '
                             f'{len(gene)} edges')
        self.ops = nn.ModuleList(
            build_edge(
                op,
                C,
                2 if reduction and src < 2 else 1,
                alloc,
                where=f'{name}, edge {e} {(op, to, src)!r}')
            for e, ((op, to, src), alloc) in enumerate(zip(gene, allocations)))
        self.nodes = sorted(fed)
        self._inputs = {
            node: [i for i, (_, to, _) in enumerate(gene) if to == node]
            for node in self.nodes
        }

    def forward(self, s0, s1, drop_prob=0.):
        """``drop_prob``: a float, or a 0-d tensor (always applied in
        training, even at 0: the branch does not depend on its value, so a
        compiled cell keeps one graph for every rate)."""
        # An input no edge reads is not preprocessed (its weights stay idle).
        states = {}
        if 0 in self.used_inputs:
            states[0] = self.preprocess0(s0)
        if 1 in self.used_inputs:
            states[1] = self.preprocess1(s1)
        if isinstance(drop_prob, torch.Tensor):
            drop = self.training
        else:
            drop = self.training and drop_prob > 0.
        for node in self.nodes:
            total = 0
            for i in self._inputs[node]:
                op = self.ops[i]
                h = op(states[self.edges[i][2]])
                if drop and self.drop_path_mode == 'edge' and \
                        not isinstance(op, Identity):
                    h = drop_path(h, drop_prob)
                total = total + h
            if drop and self.drop_path_mode == 'node':
                total = drop_path(total, drop_prob)
            states[node] = total
        return torch.cat([states[n] for n in self.concat], dim=1)
