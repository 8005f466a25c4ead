"""The candidate operations of DARTS' and DARTOpti's search spaces.

``OPS[name](C, stride, affine)`` builds an op that maps ``(N, C, H, W)`` to
``(N, C, ceil(H / stride), ceil(W / stride))`` for any ``H, W`` (odd sizes
included). Use :func:`build_op` rather than the table when building a search
cell: it adds the ``BatchNorm(affine=False)`` DARTS puts after pools in search.

Only torch is needed here, so search cells, derived cells and tools share it.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmddarts.structures.op_sets import EXTENDED_OPS, NONE_OP

__all__ = [
    'OPS', 'POOL_OPS', 'build_op', 'ReLUConvBN', 'DilConv', 'SepConv',
    'FactorizedReduce', 'Zero', 'Identity', 'AsymmetricConv', 'Bottleneck'
]


class ReLUConvBN(nn.Sequential):
    """ReLU -> Conv(k) -> BN; also the 1x1 preprocessing of cell inputs."""

    def __init__(self, C_in, C_out, kernel_size, stride, padding,
                 affine=True):
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(C_in, C_out, kernel_size, stride=stride,
                      padding=padding, bias=False),
            nn.BatchNorm2d(C_out, affine=affine))


class DilConv(nn.Sequential):
    """ReLU -> dilated depthwise conv -> pointwise conv -> BN."""

    def __init__(self, C_in, C_out, kernel_size, stride, padding, dilation,
                 affine=True):
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(C_in, C_in, kernel_size, stride=stride,
                      padding=padding, dilation=dilation, groups=C_in,
                      bias=False),
            nn.Conv2d(C_in, C_out, 1, bias=False),
            nn.BatchNorm2d(C_out, affine=affine))


class SepConv(nn.Sequential):
    """Two stacked (ReLU, depthwise, pointwise, BN) blocks, as in DARTS; only
    the first depthwise conv carries the stride."""

    def __init__(self, C_in, C_out, kernel_size, stride, padding,
                 affine=True):
        super().__init__(
            DilConv(C_in, C_in, kernel_size, stride, padding, 1, affine),
            DilConv(C_in, C_out, kernel_size, 1, padding, 1, affine))


class FactorizedReduce(nn.Module):
    """Halve the resolution with two 1x1 stride-2 convs on inputs shifted by
    one pixel, concatenated (skip_connect at stride 2, and preprocessing after
    a reduction cell).

    DARTS slices ``x[:, :, 1:, 1:]``, which loses a row on odd sizes; padding
    one zero row/column at the end first gives ``ceil(H / 2)`` for both
    branches and is bit-identical on even sizes (the pad is never sampled).
    ``C_out`` may be odd: the second branch takes the extra channel.
    """

    def __init__(self, C_in, C_out, affine=True):
        super().__init__()
        if C_out < 2:
            raise ValueError(f'FactorizedReduce needs C_out >= 2, got {C_out}')
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(C_in, C_out // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(
            C_in, C_out - C_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(C_out, affine=affine)

    def forward(self, x):
        x = self.relu(x)
        shifted = F.pad(x, (0, 1, 0, 1))[:, :, 1:, 1:]
        out = torch.cat([self.conv_1(x), self.conv_2(shifted)], dim=1)
        return self.bn(out)


class Zero(nn.Module):
    """The 'none' op: zeros of the strided output shape."""

    def __init__(self, stride):
        super().__init__()
        self.stride = stride

    def forward(self, x):
        if self.stride == 1:
            return x.mul(0.)
        return x[:, :, ::self.stride, ::self.stride].mul(0.)


class Identity(nn.Identity):
    """skip_connect at stride 1 (a named class so drop path can skip it)."""


class AsymmetricConv(nn.Sequential):
    """ReLU -> Conv(1xk, stride (1, s)) -> Conv(kx1, stride (s, 1)) -> BN
    (``conv_3x1_1x3`` and ``conv_7x1_1x7``)."""

    def __init__(self, C, kernel_size, stride, affine=True):
        pad = kernel_size // 2
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(C, C, (1, kernel_size), stride=(1, stride),
                      padding=(0, pad), bias=False),
            nn.Conv2d(C, C, (kernel_size, 1), stride=(stride, 1),
                      padding=(pad, 0), bias=False),
            nn.BatchNorm2d(C, affine=affine))


class Bottleneck(nn.Sequential):
    """ResNet's bottleneck as one op (``bottleneck_1x3x1``): ReLU, 1x1 C->C,
    BN, 3x3 (stride) C->C, BN, 1x1 C->4C, BN, ReLU, 1x1 4C->C, BN.

    No inner residual: a genotype adds a parallel ``skip_connect`` instead.
    The last 1x1 brings the 4C expansion back to the cell's width C.
    """

    def __init__(self, C, stride, affine=True, expansion=4):
        E = expansion * C
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(C, C, 1, bias=False),
            nn.BatchNorm2d(C, affine=affine),
            nn.Conv2d(C, C, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(C, affine=affine),
            nn.Conv2d(C, E, 1, bias=False),
            nn.BatchNorm2d(E, affine=affine),
            nn.ReLU(inplace=False),
            nn.Conv2d(E, C, 1, bias=False),
            nn.BatchNorm2d(C, affine=affine))


def _skip(C, stride, affine):
    return Identity() if stride == 1 else FactorizedReduce(C, C, affine)


OPS = {
    NONE_OP: lambda C, stride, affine: Zero(stride),
    'max_pool_3x3': lambda C, stride, affine: nn.MaxPool2d(
        3, stride=stride, padding=1),
    'avg_pool_3x3': lambda C, stride, affine: nn.AvgPool2d(
        3, stride=stride, padding=1, count_include_pad=False),
    'skip_connect': _skip,
    'sep_conv_3x3': lambda C, stride, affine: SepConv(
        C, C, 3, stride, 1, affine),
    'sep_conv_5x5': lambda C, stride, affine: SepConv(
        C, C, 5, stride, 2, affine),
    'dil_conv_3x3': lambda C, stride, affine: DilConv(
        C, C, 3, stride, 2, 2, affine),
    'dil_conv_5x5': lambda C, stride, affine: DilConv(
        C, C, 5, stride, 4, 2, affine),
    'conv_3x1_1x3': lambda C, stride, affine: AsymmetricConv(
        C, 3, stride, affine),
    'conv_7x1_1x7': lambda C, stride, affine: AsymmetricConv(
        C, 7, stride, affine),
    'simple_conv_1x1': lambda C, stride, affine: ReLUConvBN(
        C, C, 1, stride, 0, affine),
    'simple_conv_3x3': lambda C, stride, affine: ReLUConvBN(
        C, C, 3, stride, 1, affine),
    'bottleneck_1x3x1': lambda C, stride, affine: Bottleneck(
        C, stride, affine),
}

# Parameter-free ops that DARTS follows with BN(affine=False) in search, so
# their output scale matches the convolutions' inside a mixed op.
POOL_OPS = ('max_pool_3x3', 'avg_pool_3x3')

assert set(OPS) == set(EXTENDED_OPS) | {NONE_OP}


def build_op(name, C, stride, affine=True, pool_bn=False):
    """Build op ``name`` for ``C`` channels.

    Args:
        name: a key of :data:`OPS`.
        C: input and output channels.
        stride: 1, or 2 in the edges of a reduction cell that read a cell
            input.
        affine: learnable BN parameters (``False`` in search cells).
        pool_bn: append ``BatchNorm2d(C, affine=False)`` to pools (search).
    """
    try:
        factory = OPS[name]
    except KeyError:
        raise KeyError(f'unknown op {name!r}; known ops: '
                       f'{", ".join(OPS)}') from None
    if stride not in (1, 2):
        raise ValueError(f'op {name!r}: stride must be 1 or 2, got {stride}')
    op = factory(C, stride, affine)
    if pool_bn and name in POOL_OPS:
        op = nn.Sequential(op, nn.BatchNorm2d(C, affine=False))
    return op
