"""Search supernet: structure, alpha owners, mixing, parameters, genotype."""
import math

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmddarts.models.losses import ZeroOneLoss, zero_one_loss
from mmddarts.models.search import DDartsSupernet
from mmddarts.models.search.mixed_op import MixedOp, mix
from mmddarts.registry import MODELS
from mmddarts.structures.parsing import edge_index
from mmddarts.structures.genotype import Edge
from mmddarts.structures.op_sets import DARTS_OPS, EXTENDED_OPS, NONE_OP


def tiny(**kwargs):
    torch.manual_seed(0)
    cfg = dict(num_classes=5, channels=4, num_cells=3)
    cfg.update(kwargs)
    return DDartsSupernet(**cfg)


def test_registered_and_shapes():
    net = MODELS.build(dict(type='DDartsSupernet', num_classes=5, channels=4,
                            num_cells=3))
    assert isinstance(net, DDartsSupernet)
    x = torch.randn(2, 3, 8, 8)
    feats = []
    s = net.stem_forward(x)
    assert s.shape == (2, 12, 8, 8)  # 3C
    net.cells_forward(s, s, net.position_weights(), record=feats)
    # reductions at 1 and 2 (N//3, 2N//3): channels 4*C, 4*2C, 4*4C
    assert [tuple(f.shape[1:]) for f in feats] == [(16, 8, 8), (32, 4, 4),
                                                   (64, 2, 2)]
    assert net(x).shape == (2, 5)
    assert net.reductions == (1, 2)


def test_eight_cell_layout():
    net = DDartsSupernet(num_classes=10, channels=2, num_cells=8)
    assert net.reductions == (2, 5)
    assert net.alpha_owners == list(range(8))
    assert [c.reduction for c in net.cells] == [k in (2, 5) for k in range(8)]
    # preprocessing: FactorizedReduce after a reduction cell
    from mmddarts.models.ops import FactorizedReduce, ReLUConvBN
    for k, cell in enumerate(net.cells):
        expected = FactorizedReduce if k - 1 in (2, 5) else ReLUConvBN
        assert type(cell.preprocess0) is expected, k
        assert cell.num_edges == 14 and len(cell.edges) == 14


def test_alpha_parameters_and_names():
    net = tiny()
    arch = net.arch_parameters()
    assert len(arch) == 3
    assert all(a.shape == (14, len(DARTS_OPS)) for a in arch)
    names = [n for n, _ in net.named_arch_parameters()]
    assert names == ['alphas.0', 'alphas.1', 'alphas.2']
    sd = net.state_dict()
    assert all(n in sd for n in names)
    w = net.weight_parameters()
    ids_all = {id(p) for p in net.parameters()}
    ids_arch, ids_w = {id(a) for a in arch}, {id(p) for p in w}
    assert not ids_arch & ids_w and ids_arch | ids_w == ids_all
    # search BN has no affine parameters: only stem BN and convs/linear
    bn_affine = [m for m in net.cells.modules()
                 if isinstance(m, nn.BatchNorm2d) and m.affine]
    assert not bn_affine


@pytest.mark.parametrize('kwargs,owners', [
    (dict(), [0, 1, 2]),
    (dict(alpha_mode='shared'), [0, 1, 1]),
    (dict(alpha_mode='shared', num_cells=4), [0, 1, 1, 0]),  # red. 1, 2
    (dict(alpha_owners=[0, 1, 0]), [0, 1, 0]),
    (dict(num_cells=4, reductions=[1, 2, 3], alpha_owners=[0, 0, 0, 0]),
     [0, 0, 0, 0]),
])
def test_alpha_owners(kwargs, owners):
    net = tiny(**kwargs)
    assert net.alpha_owners == owners
    assert len(net.arch_parameters()) == max(owners) + 1
    w = net.position_weights()
    for k, o in enumerate(owners):
        assert torch.equal(w[k], torch.sigmoid(net.alphas[o]))


def test_owner_errors():
    with pytest.raises(ValueError, match='every owner'):
        tiny(alpha_owners=[0, 2, 0])
    with pytest.raises(ValueError, match='3 cells'):
        tiny(alpha_owners=[0, 1])
    with pytest.raises(ValueError, match='alpha_mode'):
        tiny(alpha_mode='per_cell')
    with pytest.raises(ValueError, match=r'init_alphas\[1\].*\(14, 7\)'):
        tiny(alpha_owners=[0, 1, 0],
             init_alphas=[torch.zeros(14, 7), torch.zeros(14, 8)])
    with pytest.raises(ValueError, match='reductions'):
        tiny(reductions=[2, 1])


def test_init_alphas_and_softmax_none():
    init = [torch.full((14, 8), float(j)) for j in range(3)]
    net = tiny(mixing='softmax', init_alphas=init)
    assert net.op_names == (NONE_OP, ) + DARTS_OPS
    assert torch.equal(net.alphas[2].data, init[2])
    torch.testing.assert_close(net.cell_weights(1),
                               torch.full((14, 8), 1 / 8))
    ext = tiny(op_set='extended')
    assert ext.op_names == EXTENDED_OPS and ext.alphas[0].shape == (14, 12)
    x = torch.randn(2, 3, 8, 8)
    assert ext(x).shape == (2, 5)


def test_mix():
    a = torch.tensor([[0.0, math.log(3.0)]])
    torch.testing.assert_close(mix(a, 'sigmoid'), torch.tensor([[0.5, 0.75]]))
    torch.testing.assert_close(mix(a, 'softmax'), torch.tensor([[0.25, 0.75]]))
    with pytest.raises(ValueError, match='mixing'):
        mix(a, 'gumbel')


def test_mixed_op_hand_computed():
    torch.manual_seed(0)
    op = MixedOp(3, 1, (NONE_OP, 'skip_connect', 'avg_pool_3x3')).double()
    assert len(op.ops) == 2  # 'none' is not built
    x = torch.randn(2, 3, 5, 5, dtype=torch.float64)
    w = torch.tensor([5.0, 0.3, 0.7], dtype=torch.float64)
    pooled = F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)
    mean = pooled.mean(dim=(0, 2, 3), keepdim=True)
    var = pooled.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
    expected = 0.3 * x + 0.7 * (pooled - mean) / torch.sqrt(var + 1e-5)
    torch.testing.assert_close(op(x, w), expected)
    # a stride-2 edge halves the resolution
    red = MixedOp(3, 2, DARTS_OPS).double()
    assert red(x, torch.ones(7, dtype=torch.float64)).shape == (2, 3, 3, 3)


def test_zero_one_loss_hand_values():
    assert zero_one_loss(torch.zeros(3, 4)).item() == 0
    torch.testing.assert_close(
        zero_one_loss(torch.tensor([0.0, math.log(3.0)])),
        torch.tensor(-(0.0 + 0.25**2) / 2))
    big = torch.tensor([40.0, -40.0])
    torch.testing.assert_close(zero_one_loss(big), torch.tensor(-0.25))
    loss = ZeroOneLoss(loss_weight=10.)
    torch.testing.assert_close(loss(big), torch.tensor(-2.5))


def test_draw_ablation_weights():
    net = tiny(alpha_owners=[0, 1, 0])
    g1 = torch.Generator().manual_seed(3)
    g2 = torch.Generator().manual_seed(3)
    r = net.draw_ablation_weights(0, g1)
    assert r.shape == (2, 14, 7)  # owner 0 holds cells 0 and 2
    assert r.min() >= 0 and r.max() < 1
    assert torch.equal(r, net.draw_ablation_weights(0, g2))
    assert net.draw_ablation_weights(1, g1).shape == (1, 14, 7)


def logit(p):
    return math.log(p / (1 - p))


def test_genotype_from_alphas():
    # owner 0: sparse keeps only sep_conv_3x3 2<-1 (0.9);
    # owner 1: all below 0.85 -> fallback to the strongest op into node 2
    a0 = torch.full((14, 7), logit(0.1))
    a0[edge_index(2, 1), DARTS_OPS.index('sep_conv_3x3')] = logit(0.9)
    a0[edge_index(2, 0), DARTS_OPS.index('skip_connect')] = logit(0.8)
    a1 = torch.full((14, 7), logit(0.2))
    a1[edge_index(2, 0), DARTS_OPS.index('max_pool_3x3')] = logit(0.6)
    net = tiny(alpha_owners=[0, 1, 0], init_alphas=[a0, a1])
    g = net.genotype('sparse', threshold=0.85)
    assert g.seq == (0, 1, 0) and g.reductions == (1, 2)
    assert g.genes == ((Edge('sep_conv_3x3', 2, 1), ),
                       (Edge('max_pool_3x3', 2, 0), ))
    [fb] = g.meta['empty_fallback']
    assert (fb['owner'], fb['cells'], fb['op']) == (1, [1], 'max_pool_3x3')
    assert fb['weight'] == pytest.approx(0.6)
    d = net.genotype('darts')
    assert d.genes[0][:2] == (Edge('skip_connect', 2, 0),
                              Edge('sep_conv_3x3', 2, 1))
    assert d.meta['parse_method'] == 'darts'
    # the arch step must not alter what genotype() reads
    assert np.allclose(torch.sigmoid(net.alphas[0]).detach().numpy()[1, 3],
                       0.9)
