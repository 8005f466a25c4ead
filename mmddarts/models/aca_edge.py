"""ACA's evaluation edge: the op on its important channels, identity (skip)
on the rest, outputs in the original channel positions (docs/aca.md).

PC-DARTS-style partial op: the op is built for ``k`` channels and reads only
the ``k`` important input channels, so its parameters and FLOPs shrink by
``k / C``; the other channels pass through DARTS' skip_connect (identity at
stride 1, FactorizedReduce at stride 2, which needs 2 or more channels: see
:func:`~mmddarts.structures.channel_allocation.op_channels`).
"""
import torch
import torch.nn as nn

from mmddarts.structures.channel_allocation import op_channels
from .ops import FactorizedReduce, Identity, build_op


class ACAEdge(nn.Module):
    """``out[:, op_idx] = op(x[:, op_idx])``, ``out[:, rest] = skip(x[:,
    rest])``.

    Args:
        name: the op's name (a key of :data:`~.ops.OPS`).
        C: channels in and out.
        stride: 1, or 2 (reduction edge reading a cell input).
        op_idx: channel indices that keep the op (sorted).
        affine: learnable BN parameters.
    """

    def __init__(self, name, C, stride, op_idx, affine=True):
        super().__init__()
        op_idx = sorted(int(c) for c in op_idx)
        rest = [c for c in range(C) if c not in set(op_idx)]
        if stride == 2 and len(rest) == 1:
            raise ValueError(
                f'ACAEdge {name}: a stride-2 identity part needs 0 or >= 2 '
                'channels (FactorizedReduce), got 1')
        self.op_name, self.C, self.stride = name, C, stride
        self.op = build_op(name, len(op_idx), stride, affine) \
            if op_idx else None
        if not rest:
            self.skip = None
        else:
            self.skip = Identity() if stride == 1 else FactorizedReduce(
                len(rest), len(rest), affine)
        # (op part, skip part) concatenated, then put back in place
        order = op_idx + rest
        inverse = [0] * C
        for pos, c in enumerate(order):
            inverse[c] = pos
        # derived from the genotype (recorded in the checkpoint): not saved
        self.register_buffer('op_idx', torch.tensor(op_idx, dtype=torch.long),
                             persistent=False)
        self.register_buffer('rest_idx', torch.tensor(rest, dtype=torch.long),
                             persistent=False)
        self.register_buffer('inverse', torch.tensor(inverse,
                                                     dtype=torch.long),
                             persistent=False)
        self.op_channels = len(op_idx)

    def forward(self, x):
        parts = []
        if self.op is not None:
            parts.append(self.op(x.index_select(1, self.op_idx)))
        if self.skip is not None:
            parts.append(self.skip(x.index_select(1, self.rest_idx)))
        out = parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)
        return out.index_select(1, self.inverse)

    def extra_repr(self):
        return (f'{self.op_name}, C={self.C}, stride={self.stride}, '
                f'op channels={self.op_channels}')


def build_edge(name, C, stride, alloc=None, where='edge'):
    """The module of one derived edge: the plain op without an allocation
    (or when every channel keeps it: same modules and state dict keys as a
    plain edge), :class:`Identity` when no channel keeps it at stride 1
    (so drop path treats it as DARTS treats skips), else an
    :class:`ACAEdge`."""
    if alloc is None:
        return build_op(name, C, stride)
    op_idx, rest = op_channels(alloc, C, stride, where)
    if not rest:
        return build_op(name, C, stride)
    if not op_idx and stride == 1:
        return Identity()
    return ACAEdge(name, C, stride, op_idx)
