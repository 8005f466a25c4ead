"""The mixed operation of a search edge: a weighted sum of candidate ops.

The weights come from the caller (one row of the cell's mixed alpha), so the
ablation passes can substitute random values without touching alpha.
"""
import torch
import torch.nn as nn

from mmddarts.models.ops import POOL_OPS, build_op
from mmddarts.structures.op_sets import NONE_OP

MIXINGS = ('sigmoid', 'softmax')


def mix(alpha, mixing):
    """Op weights of ``alpha`` ([..., ops]): FairDARTS' independent sigmoid
    or DARTS' softmax over the last axis (the ops of one edge)."""
    if mixing == 'sigmoid':
        return torch.sigmoid(alpha)
    if mixing == 'softmax':
        return torch.softmax(alpha, dim=-1)
    raise ValueError(f'unknown mixing {mixing!r}; expected one of {MIXINGS}')


class MixedOp(nn.Module):
    """``sum_k w_k * op_k(x)`` over the candidate ops of one edge.

    ``'none'`` contributes ``w * 0``, whose value and gradient (w.r.t. both x
    and w) are exactly zero, so it is not built or computed at all; it still
    owns its column of the weights (softmax normalisation needs it).

    Args:
        C: channels.
        stride: 2 on the edges of a reduction cell that read a cell input.
        op_names: the column names of the weights.
        affine: learnable BN parameters in every op's BNs (pools' BN
            included); DARTS searches without (False). ACA's ``bn_gamma``
            importance needs them (docs/aca.md).
    """

    def __init__(self, C, stride, op_names, affine=False):
        super().__init__()
        self.op_names = tuple(op_names)
        self.ops = nn.ModuleList()
        self.columns = []
        for k, name in enumerate(self.op_names):
            if name == NONE_OP:
                continue
            # search: BN without affine, pools followed by BN (DARTS)
            op = build_op(name, C, stride, affine=affine, pool_bn=not affine)
            if affine and name in POOL_OPS:
                op = nn.Sequential(op, nn.BatchNorm2d(C, affine=True))
            self.ops.append(op)
            self.columns.append(k)
        if not self.columns:
            raise ValueError(f"a mixed op needs at least one op besides "
                             f"'none', got {self.op_names}")

    def forward(self, x, weights):
        out = None
        for k, op in zip(self.columns, self.ops):
            y = weights[k] * op(x)
            out = y if out is None else out + y
        return out
