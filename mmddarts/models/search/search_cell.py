"""The cell of the search supernet: every edge is a mixed op."""
import torch
import torch.nn as nn

from mmddarts.models.ops import FactorizedReduce, ReLUConvBN
from .mixed_op import MixedOp


def cell_num_edges(steps):
    """Edges of a cell with ``steps`` intermediate nodes (14 for 4)."""
    return sum(2 + i for i in range(steps))


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
        for i in range(steps):
            for j in range(2 + i):
                stride = 2 if reduction and j < 2 else 1
                self.edges.append(MixedOp(C, stride, op_names))
        self.num_edges = len(self.edges)
        self.out_channels = steps * C

    def forward(self, s0, s1, weights):
        """``weights``: [edges, ops] op weights of this cell."""
        if weights.shape[0] != self.num_edges:
            raise ValueError(f'cell weights have {weights.shape[0]} rows but '
                             f'the cell has {self.num_edges} edges')
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
