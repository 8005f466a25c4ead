"""Derived cells and DDartsNet: shapes, wiring and drop path, checked against
hand computations on toy genotypes."""
import pytest
import torch
import torch.nn.functional as F

from mmddarts.models.backbones import DDartsNet
from mmddarts.models.derived_cell import DerivedCell, drop_path
from mmddarts.models.heads import AuxiliaryHeadCIFAR
from mmddarts.structures import Genotype
from mmddarts.structures.loading import genotype_from_any

# 3 cells, reduction at 1: cell 0 uses nodes 2, 3; cell 1 nodes 2..5;
# cell 2 nodes 2, 4 (node 3 unused).
TOY = Genotype(
    genes=[
        [('sep_conv_3x3', 2, 0), ('skip_connect', 2, 1),
         ('dil_conv_3x3', 3, 2)],
        [('max_pool_3x3', 2, 0), ('skip_connect', 2, 1),
         ('avg_pool_3x3', 3, 0), ('conv_3x1_1x3', 4, 3),
         ('bottleneck_1x3x1', 5, 1), ('skip_connect', 5, 4)],
        [('simple_conv_3x3', 2, 1), ('sep_conv_5x5', 4, 2),
         ('skip_connect', 4, 0)],
    ],
    seq=[0, 1, 2],
    reductions=[1],
    op_set='extended')


def test_toy_net_shapes_and_widths():
    net = DDartsNet(TOY, channels=4, out_indices=(0, 1, 2))
    # cell 0: C=4, 2 nodes; cell 1 reduces: C=8, 4 nodes; cell 2: C=8, 2.
    assert net.out_channels == [8, 32, 16]
    # 'auto': the last reduction cell (DARTS' 2 * 3 // 3 would say 2)
    assert net.aux_index == 1 and net.aux_channels == 32
    outs = net(torch.randn(2, 3, 15, 15))
    assert [tuple(o.shape) for o in outs] == [(2, 8, 15, 15), (2, 32, 8, 8),
                                              (2, 16, 8, 8)]
    assert len(net(torch.randn(1, 3, 16, 16))) == 3


def test_out_indices_order_and_aux_output():
    net = DDartsNet(TOY, channels=4, out_indices=(-1, 0))
    assert net.out_indices == (2, 0)
    x = torch.randn(2, 3, 8, 8)
    outs, aux = net(x, with_aux_output=True)
    assert outs[0].shape == (2, 16, 4, 4) and outs[1].shape == (2, 8, 8, 8)
    assert aux.shape == (2, 32, 4, 4)  # cell 1
    net = DDartsNet(TOY, channels=4, aux_index=2)
    assert net(x, with_aux_output=True)[1].shape == (2, 16, 4, 4)
    with pytest.raises(ValueError, match='out of range'):
        DDartsNet(TOY, channels=4, out_indices=(3, ))
    with pytest.raises(ValueError, match='twice'):
        DDartsNet(TOY, channels=4, out_indices=(2, -1))
    with pytest.raises(ValueError, match='stem'):
        DDartsNet(TOY, channels=4, stem='mnist')


def test_imagenet_stem():
    net = DDartsNet(TOY, channels=8, stem='imagenet', out_indices=(0, 2))
    outs = net(torch.randn(1, 3, 32, 32))
    # stems: /4 then /8; cell 0 keeps /8 (its input 0 is FactorizedReduced)
    assert outs[0].shape == (1, 16, 4, 4)
    assert outs[1].shape == (1, 32, 2, 2)
    assert type(net.cells[0].preprocess0).__name__ == 'FactorizedReduce'
    assert net.stem_stride == 8


def test_ddarts_imagenet_stem():
    # D-DARTS' NetworkImageNet: stem0's second conv has stride 1, so the
    # stems give /2 then /4 and the same parameters as DARTS' stem.
    net = DDartsNet(TOY, channels=8, stem='ddarts_imagenet',
                    out_indices=(0, 2))
    darts = DDartsNet(TOY, channels=8, stem='imagenet', out_indices=(0, 2))
    x = torch.randn(1, 3, 32, 32)
    assert net.stem0(x).shape == (1, 8, 16, 16)
    outs = net(x)
    # cell 0 keeps /4 (its input 0, at /2, is FactorizedReduced); the
    # reduction cell 1 halves it.
    assert outs[0].shape == (1, 16, 8, 8)
    assert outs[1].shape == (1, 32, 4, 4)
    assert net.stem_stride == 4
    assert type(net.cells[0].preprocess0).__name__ == 'FactorizedReduce'
    # same weights; only the architecture records (the stem's name) differ
    assert [v.shape for k, v in net.state_dict().items()
            if k != '_extra_state'] == [
        v.shape for k, v in darts.state_dict().items()
        if k != '_extra_state']


def test_cell_sums_edges_and_concats_nodes():
    """Node = sum of its inputs, two ops on one edge are summed, output =
    concat of the fed nodes in node order; written out by hand with
    parameter-free ops."""
    gene = [('avg_pool_3x3', 3, 2), ('skip_connect', 2, 0),
            ('max_pool_3x3', 2, 0), ('skip_connect', 2, 1)]
    cell = DerivedCell(gene, 6, 5, 4, reduction=False, reduction_prev=False)
    cell.eval()
    s0, s1 = torch.randn(2, 6, 7, 7), torch.randn(2, 5, 7, 7)
    p0, p1 = cell.preprocess0(s0), cell.preprocess1(s1)
    n2 = p0 + F.max_pool2d(p0, 3, 1, 1) + p1
    n3 = F.avg_pool2d(n2, 3, 1, 1, count_include_pad=False)
    torch.testing.assert_close(cell(s0, s1), torch.cat([n2, n3], 1))
    assert cell.out_channels == 8


def test_reduction_cell_strides_only_input_edges():
    gene = [('max_pool_3x3', 2, 0), ('max_pool_3x3', 3, 2),
            ('skip_connect', 3, 1)]
    cell = DerivedCell(gene, 4, 4, 4, reduction=True, reduction_prev=False)
    cell.eval()
    s0, s1 = torch.randn(1, 4, 8, 8), torch.randn(1, 4, 8, 8)
    p0, p1 = cell.preprocess0(s0), cell.preprocess1(s1)
    n2 = F.max_pool2d(p0, 3, 2, 1)
    n3 = F.max_pool2d(n2, 3, 1, 1) + cell.ops[2](p1)
    assert type(cell.ops[2]).__name__ == 'FactorizedReduce'
    torch.testing.assert_close(cell(s0, s1), torch.cat([n2, n3], 1))


def test_reduction_prev_uses_factorized_reduce():
    cell = DerivedCell([('skip_connect', 2, 0), ('skip_connect', 2, 1)],
                       6, 8, 4, reduction=False, reduction_prev=True)
    out = cell(torch.randn(1, 6, 10, 10), torch.randn(1, 8, 5, 5))
    assert out.shape == (1, 4, 5, 5)


def test_concat_override_and_errors():
    gene = [('skip_connect', 2, 0), ('skip_connect', 3, 2)]
    cell = DerivedCell(gene, 4, 4, 4, False, False, concat=[3])
    assert cell.out_channels == 4
    with pytest.raises(ValueError, match=r'cell 7: concat \[3, 4\]'):
        DerivedCell(gene, 4, 4, 4, False, False, concat=[3, 4],
                    name='cell 7')


def test_legacy_concat_rule():
    g = TOY.replace(meta={'legacy_concat': [2]})
    net = DDartsNet(g, channels=4, concat_rule='legacy')
    assert net.out_channels == [4, 8, 8]
    with pytest.raises(ValueError, match='concat_rule'):
        DDartsNet(TOY, channels=4, concat_rule='all')


def test_drop_path_function():
    torch.manual_seed(0)
    x = torch.ones(2000, 2, 1, 1)
    y = drop_path(x, 0.3)
    kept = y[:, 0, 0, 0] != 0
    # dropped samples are zero, kept ones scaled by 1 / 0.7
    torch.testing.assert_close(y[kept], torch.full_like(y[kept], 1 / 0.7))
    assert torch.all(y[~kept] == 0)
    assert abs(kept.float().mean().item() - 0.7) < 0.05
    assert drop_path(x, 0.) is x


@pytest.mark.parametrize('mode', ['node', 'edge'])
def test_drop_path_in_cell(mode):
    """'node' drops whole nodes; 'edge' (DARTS) drops op outputs but never
    identities."""
    gene = [('skip_connect', 2, 0), ('max_pool_3x3', 3, 2)]
    cell = DerivedCell(gene, 4, 4, 4, False, False, drop_path_mode=mode)
    cell.train()
    s = torch.rand(64, 4, 3, 3) + 0.1
    p0 = cell.preprocess0(s)
    torch.manual_seed(1)
    out = cell(s, s, drop_prob=0.5)
    n2, n3 = out[:, :4], out[:, 4:]
    ref2 = p0
    if mode == 'edge':
        torch.testing.assert_close(n2, ref2)  # identity: never dropped
    else:
        zero2 = n2.flatten(1).abs().sum(1) == 0
        assert 0 < zero2.sum() < 64
        torch.testing.assert_close(n2[~zero2], 2 * ref2[~zero2])
    zero3 = n3.flatten(1).abs().sum(1) == 0
    assert 0 < zero3.sum() < 64
    # eval: no drop path whatever the rate
    cell.eval()
    torch.testing.assert_close(cell(s, s, 0.5), cell(s, s, 0.))


def test_net_drop_path_prob_is_used_in_training_only():
    net = DDartsNet(TOY, channels=4)
    net.drop_path_prob = 0.9
    x = torch.randn(2, 3, 8, 8)
    net.eval()
    a, b = net(x)[0], net(x)[0]
    torch.testing.assert_close(a, b)
    net.train()
    torch.manual_seed(0)
    c = net(x)[0]
    torch.manual_seed(1)
    d = net(x)[0]
    assert not torch.allclose(c, d)


def test_num_cells_expands_with_algorithm_1():
    g = genotype_from_any('configs/genotypes/darts-v2.json')
    net = DDartsNet(g, channels=4, num_cells=20)
    assert net.genotype.num_cells == 20
    assert net.genotype.reductions == (6, 13)
    assert len(net.cells) == 20 and net.aux_index == 13


@pytest.mark.parametrize('name,cells,aux,size', [
    # the authors' rule: the last reduction cell (DARTS' 2n//3 in brackets)
    ('do2-resnet18_c100', None, 3, 4),  # reductions 1, 2, 3 (2)
    ('do2-xception_c100', None, 12, 2),  # reductions 1, 2, 11, 12 (8)
    ('ddarts_c10_sparse', None, 5, 8),  # reductions 2, 5 (5)
    ('ddarts_c10_sparse', 14, 9, 8),  # Algorithm 1: 4, 9 (9)
    ('darts-v2', 20, 13, 8),  # DARTS' 20-cell network: 6, 13 (13)
])
def test_auto_aux_position_is_the_last_reduction_cell(name, cells, aux, size):
    net = DDartsNet(f'configs/genotypes/{name}.json', channels=2,
                    num_cells=cells)
    assert net.aux_index == aux == net.genotype.reductions[-1]
    # the CIFAR head's input at 32x32: 8x8 (DARTS' window) or smaller
    halvings = sum(1 for r in net.genotype.reductions if r <= aux)
    assert 32 // 2**halvings == size
    x = torch.randn(1, 3, 32, 32)
    _, aux_in = net.eval()(x, with_aux_output=True)
    assert aux_in.shape[-1] == size
    head = AuxiliaryHeadCIFAR(num_classes=3, in_channels=net.aux_channels)
    assert head.eval()((aux_in, )).shape == (1, 3)


def test_auto_aux_position_of_other_layouts():
    g = genotype_from_any('configs/genotypes/ddarts_c10_sparse.json')
    # the released D-DARTS files' reductions 2, 6: the authors' cell 6
    assert DDartsNet(g, channels=2, reductions=[2, 6]).aux_index == 6
    # no reduction cell: DARTS' 2n//3
    flat = g.replace(reductions=[])
    assert DDartsNet(flat, channels=2).aux_index == 5


def test_unused_cell_inputs():
    """Gene 1 of DO-2-ResNet50 never reads node 1: its preprocessing is kept
    by default (as the reference, for the published counts), dropped on
    request, and the forward pass is the same."""
    g = genotype_from_any('configs/genotypes/do2-resnet50_c100.json')
    assert 1 not in {src for _, _, src in g.gene(1)}
    kept = DDartsNet(g, channels=2)
    dropped = DDartsNet(g, channels=2, keep_unused_inputs=False)
    assert dropped.cells[1].preprocess1 is None
    removed = sum(p.numel() for p in kept.cells[1].preprocess1.parameters())
    assert sum(p.numel() for p in kept.parameters()) - removed == \
        sum(p.numel() for p in dropped.parameters())
    dropped.load_state_dict(kept.state_dict(), strict=False)
    kept.eval(), dropped.eval()
    x = torch.randn(1, 3, 16, 16)
    torch.testing.assert_close(kept(x), dropped(x))
