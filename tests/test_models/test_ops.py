"""Shapes and parameter counts of the 13 ops, against hand formulas."""
import math

import pytest
import torch

from mmddarts.models.ops import OPS, FactorizedReduce, build_op
from mmddarts.structures.op_sets import EXTENDED_OPS, NONE_OP


def n_params(module):
    return sum(p.numel() for p in module.parameters())


def hand_params(name, C, stride, affine):
    """Parameter counts written out from each op's definition."""
    bn = 2 * C if affine else 0
    return {
        NONE_OP: 0,
        'max_pool_3x3': 0,
        'avg_pool_3x3': 0,
        # stride 2: two 1x1 convs C -> C/2 each, one BN(C)
        'skip_connect': 0 if stride == 1 else 2 * C * (C // 2) + bn,
        # two (depthwise kxk + pointwise + BN) blocks
        'sep_conv_3x3': 2 * (C * 9 + C * C + bn),
        'sep_conv_5x5': 2 * (C * 25 + C * C + bn),
        'dil_conv_3x3': C * 9 + C * C + bn,
        'dil_conv_5x5': C * 25 + C * C + bn,
        'conv_3x1_1x3': 2 * C * C * 3 + bn,
        'conv_7x1_1x7': 2 * C * C * 7 + bn,
        'simple_conv_1x1': C * C + bn,
        'simple_conv_3x3': C * C * 9 + bn,
        # 1x1 C->C, 3x3 C->C, 1x1 C->4C, 1x1 4C->C and BN(C), BN(C), BN(4C),
        # BN(C)
        'bottleneck_1x3x1': (C * C + 9 * C * C + 4 * C * C + 4 * C * C +
                             (7 * bn if affine else 0)),
    }[name]


ALL_OPS = (NONE_OP, ) + EXTENDED_OPS


def test_table_covers_extended_space():
    assert set(OPS) == set(ALL_OPS)
    assert len(EXTENDED_OPS) == 12


@pytest.mark.parametrize('name', ALL_OPS)
@pytest.mark.parametrize('stride', [1, 2])
@pytest.mark.parametrize('hw', [(8, 8), (7, 9), (5, 5)])
def test_op_shapes(name, stride, hw):
    C = 4
    op = OPS[name](C, stride, True)
    x = torch.randn(2, C, *hw, requires_grad=True)
    y = op(x)
    assert y.shape == (2, C, math.ceil(hw[0] / stride),
                       math.ceil(hw[1] / stride))
    if name != NONE_OP:
        y.sum().backward()  # every op is differentiable w.r.t. its input
        assert x.grad is not None and x.grad.shape == x.shape
    else:
        assert torch.count_nonzero(y) == 0


@pytest.mark.parametrize('name', ALL_OPS)
@pytest.mark.parametrize('stride', [1, 2])
@pytest.mark.parametrize('affine', [True, False])
def test_op_param_counts_c16(name, stride, affine):
    op = OPS[name](16, stride, affine)
    assert n_params(op) == hand_params(name, 16, stride, affine)


def test_pool_bn_only_when_asked():
    plain = build_op('max_pool_3x3', 8, 1)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in
                   plain.modules())
    searched = build_op('avg_pool_3x3', 8, 2, affine=False, pool_bn=True)
    bns = [m for m in searched.modules()
           if isinstance(m, torch.nn.BatchNorm2d)]
    assert len(bns) == 1 and not bns[0].affine
    # convolutions are not wrapped
    conv = build_op('sep_conv_3x3', 8, 1, affine=False, pool_bn=True)
    assert n_params(conv) == hand_params('sep_conv_3x3', 8, 1, False)


def test_build_op_errors():
    with pytest.raises(KeyError, match='sep_conv_7x7'):
        build_op('sep_conv_7x7', 8, 1)
    with pytest.raises(ValueError, match='stride'):
        build_op('sep_conv_3x3', 8, 3)


def test_factorized_reduce_matches_darts_on_even_sizes():
    """Our zero-padded shift equals DARTS' x[:, :, 1:, 1:] slicing when H, W
    are even (the pad is never sampled by the stride-2 conv)."""
    torch.manual_seed(0)
    fr = FactorizedReduce(6, 8).eval()
    x = torch.randn(2, 6, 8, 10)
    r = torch.relu(x)
    darts = fr.bn(torch.cat([fr.conv_1(r), fr.conv_2(r[:, :, 1:, 1:])], 1))
    torch.testing.assert_close(fr(x), darts)


def test_factorized_reduce_odd_channels_and_sizes():
    fr = FactorizedReduce(5, 7)
    y = fr(torch.randn(1, 5, 7, 7))
    assert y.shape == (1, 7, 4, 4)
    # the second branch reads pixel (1, 1) at output (0, 0): hand check
    fr.eval()
    x = torch.zeros(1, 5, 7, 7)
    x[0, :, 1, 1] = 1.0
    out = torch.cat([fr.conv_1(torch.relu(x)),
                     fr.conv_2(torch.nn.functional.pad(
                         torch.relu(x), (0, 1, 0, 1))[:, :, 1:, 1:])], 1)
    assert torch.count_nonzero(out[0, :3]) == 0  # conv_1 samples even pixels
    expected = fr.conv_2.weight[:, :, 0, 0].sum(1)
    torch.testing.assert_close(out[0, 3:, 0, 0], expected)
