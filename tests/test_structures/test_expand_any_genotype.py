"""Issue 14, item 2: Algorithm 1 grows every shipped genotype, including
adjacent reductions and reductions at every cell after the first (the
DO-ResNet / Xception layouts), to 2x, 3x, 14 and 20 cells.

Expected cell maps below are written out by hand from the rule in
``mmddarts/structures/expand.py``; parameter counts are computed from the op
definitions (one formula per op, written here), never from the network."""
import contextlib
import glob
import os.path as osp
from unittest import mock

import pytest
import torch

from mmddarts.models.backbones import DDartsNet
from mmddarts.structures import expand_genotype, expansion_map
from mmddarts.structures import Genotype, GenotypeError
from mmddarts.structures.loading import genotype_from_any

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SHIPPED = sorted(glob.glob(osp.join(REPO, 'configs/genotypes/*.json')))


def _g(name):
    return genotype_from_any(osp.join(REPO, 'configs/genotypes', name))


# --------------------------------------------------------------- hand cases
X14 = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 3, 11, 12]
X20 = [0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 3, 4, 5, 6, 7, 11, 12]
HAND = [
    # DO-ResNet18: reductions at every cell after the first (even spread of
    # 4 cells): target reductions are the even spread; each stage repeats
    # its reduction gene at stride 1
    ('do2-resnet18_c100.json', 8, (2, 4, 6), [0, 0, 1, 1, 2, 2, 3, 3]),
    ('do2-resnet18_c100.json', 12, (3, 6, 9),
     [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]),
    ('do2-resnet18_c100.json', 14, (3, 7, 10),
     [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3]),
    ('do-resnet50_c10_edge.json', 20, (5, 10, 15),
     [0] * 5 + [1] * 5 + [2] * 5 + [3] * 5),
    # Xception (1, 2, 11, 12 of 13; not an even spread): every stage
    # [1, 1, 9, 1, 1] is scaled by L/13
    ('do2-xception_c100.json', 26, (2, 4, 22, 24),
     [0, 0, 1, 1, 2] + [3, 4, 5, 6, 7, 8, 9, 10] * 2 + [3, 11, 11, 12, 12]),
    ('do2-xception_c100.json', 39, (3, 6, 33, 36),
     [0, 0, 0, 1, 1, 1, 2] + [3, 4, 5, 6, 7, 8, 9, 10] * 3 + [3, 4]
     + [11] * 3 + [12] * 3),
    # 14: quotas 1.08, 1.08, 9.69, 1.08, 1.08 -> [1, 1, 10, 1, 1]
    ('do1-xception_c10.json', 14, (1, 2, 12, 13), X14),
    # 20: quotas 1.54 x4, 13.85 -> floors [1, 1, 13, 1, 1] + 3 by largest
    # remainder (stage 2, then stages 0 and 1) -> [2, 2, 14, 1, 1]
    ('do1-xception_c10.json', 20, (2, 4, 18, 19), X20),
    # DARTS-like 8 cells (2, 5): DARTS' L//3, 2L//3
    ('ddarts_c10_sparse.json', 16, (5, 10),
     [0, 1, 0, 1, 0, 2, 3, 4, 3, 4, 5, 6, 7, 6, 7, 6]),
    ('ddarts_c10_sparse.json', 24, (8, 16),
     [0, 1] * 4 + [2] + [3, 4] * 3 + [3, 5] + [6, 7] * 3 + [6]),
]


@pytest.mark.parametrize('name,cells,reductions,cell_map', HAND)
def test_hand_computed_maps(name, cells, reductions, cell_map):
    src = _g(name)
    assert len(cell_map) == cells
    out = expand_genotype(src, cells)
    assert out.reductions == reductions
    assert out.meta['expanded_from']['cell_map'] == cell_map
    for t, s in enumerate(cell_map):
        assert out.gene(t) == src.gene(s), (t, s)


def test_digits_layout_adjacent_reductions():
    """The 4-cell digits search (reductions 1, 2): stage 1 has no normal
    cell, so it repeats reduction 1's gene at stride 1."""
    genes = [[('sep_conv_3x3', 2, 0)], [('max_pool_3x3', 2, 1)],
             [('skip_connect', 2, 0)], [('dil_conv_3x3', 2, 1)]]
    src = Genotype(genes=genes, seq=[0, 1, 2, 3], reductions=[1, 2])
    out = expand_genotype(src, 8)
    assert out.reductions == (2, 5)
    assert out.meta['expanded_from']['cell_map'] == [0, 0, 1, 1, 1, 2, 3, 3]
    # explicit positions: DDartsNet(reductions=...)
    out = expand_genotype(src, 8, reductions=[3, 4])
    assert out.meta['expanded_from']['cell_map'] == [0, 0, 0, 1, 2, 3, 3, 3]
    # a source reduction at cell 0 has no stage-0 gene to repeat
    edge = Genotype(genes=genes, seq=[0, 1, 2, 3], reductions=[0, 2])
    with pytest.raises(GenotypeError, match=r'stage 0 of the target '
                       r'\(cells 0\.\.1.*choose reductions\[0\]=0'):
        expand_genotype(edge, 8, reductions=[2, 5])
    assert expansion_map(edge, 8)[1] == (0, 4)  # scaled [0, 2, 2] -> [0,4,4]


# ------------------------------------------------ every shipped genotype
def _stage_of(cell, reductions):
    return sum(1 for r in reductions if r <= cell)


def _sizes(g):
    return sorted({2 * g.num_cells, 3 * g.num_cells, 14, 20})


@pytest.mark.parametrize('path', SHIPPED, ids=osp.basename)
def test_every_shipped_genotype_grows(path):
    src = genotype_from_any(path)
    for cells in _sizes(src):
        out = expand_genotype(src, cells)
        cmap = out.meta['expanded_from']['cell_map']
        assert out.num_cells == cells == len(cmap)
        assert len(out.reductions) == len(src.reductions)
        for t, s in enumerate(cmap):
            assert out.gene(t) == src.gene(s)
            # same stage; reductions map to reductions in order
            assert _stage_of(t, out.reductions) == \
                _stage_of(s, src.reductions), (path, cells, t, s)
            if out.is_reduction(t):
                i = out.reductions.index(t)
                assert s == src.reductions[i]
            elif src.is_reduction(s):
                # a normal cell from a reduction gene only where its source
                # stage has no normal cell
                stage = [c for c in range(src.num_cells)
                         if _stage_of(c, src.reductions)
                         == _stage_of(s, src.reductions)]
                assert all(src.is_reduction(c) for c in stage), (path, t)
        # growing keeps every searched cell
        assert set(cmap) == set(range(src.num_cells))


# ---------------------------------------------- parameters, by formula
def op_params(op, C, stride):
    """Parameters of one derived op (conv weights + BN affine), from the
    op definitions in DARTS / D-DARTS (mmddarts/models/ops.py)."""
    bn = 2 * C
    k = {'3x3': 3, '5x5': 5}
    if op in ('max_pool_3x3', 'avg_pool_3x3'):
        return 0
    if op == 'skip_connect':  # FactorizedReduce when strided
        return 0 if stride == 1 else C * C + bn
    if op.startswith('sep_conv_'):  # 2 x (depthwise k*k, pointwise, BN)
        return 2 * (k[op[-3:]] ** 2 * C + C * C + bn)
    if op.startswith('dil_conv_'):
        return k[op[-3:]] ** 2 * C + C * C + bn
    if op == 'conv_3x1_1x3':
        return 2 * 3 * C * C + bn
    if op == 'conv_7x1_1x7':
        return 2 * 7 * C * C + bn
    if op == 'simple_conv_1x1':
        return C * C + bn
    if op == 'simple_conv_3x3':
        return 9 * C * C + bn
    if op == 'bottleneck_1x3x1':  # 1x1, 3x3, 1x1 to 4C, 1x1 back; 4 BNs
        return C * C + 9 * C * C + 4 * C * C + 4 * C * C + 14 * C
    raise KeyError(op)


def net_params(genotype_genes, cell_map, reductions, C0):
    """CIFAR stem (3x3 conv to 3*C0 + BN) + every cell: both 1x1 (or
    factorized) input preprocessings (C_in*C + BN) and the ops; the output
    of a cell is (#nodes with an input) x C."""
    total = 27 * 3 * C0 + 2 * 3 * C0
    c_pp = c_p = 3 * C0
    C = C0
    for t, s in enumerate(cell_map):
        red = t in reductions
        if red:
            C *= 2
        gene = genotype_genes[s]
        total += c_pp * C + 2 * C + c_p * C + 2 * C
        for op, to, frm in gene:
            total += op_params(op, C, 2 if red and frm < 2 else 1)
        out = len({to for _, to, _ in gene}) * C
        c_pp, c_p = c_p, out
    return total


@contextlib.contextmanager
def _no_init(skip):
    """Skip weight initialisation (half the build time) when only the
    parameter shapes are needed."""
    if not skip:
        yield
        return
    with mock.patch.object(torch.nn.Conv2d, 'reset_parameters',
                           lambda self: None), \
            mock.patch.object(torch.nn.BatchNorm2d, 'reset_parameters',
                              lambda self: None):
        yield


def _count(net):
    return sum(p.numel() for p in net.parameters())


def test_resnet18_to_8_cells_by_hand():
    # 8 cells, reductions 2, 4, 6, C0=4, gene: 4 simple_conv_3x3 and two
    # skips (3<-0 strided in reduction cells), all 4 nodes concatenated:
    #   cell(C_pp, C_p, C, r) = C(C_pp + C_p) + 36C^2 + 12C + r(C^2 + 2C)
    #   stem 87*4 = 348; cells 720, 736, 2736, 2784, 10720, 10944, 42432,
    #   43392 -> 114,464; total 114,812
    net = DDartsNet(_g('baseline-resnet18.json'), channels=4, num_cells=8)
    assert net.genotype.reductions == (2, 4, 6)
    assert _count(net) == 114812


@pytest.mark.parametrize('path', SHIPPED, ids=osp.basename)
def test_every_shipped_genotype_builds_and_counts(path):
    src = genotype_from_any(path)
    genes = [src.gene(c) for c in range(src.num_cells)]
    x = torch.randn(1, 3, 32, 32)
    for cells in _sizes(src):
        forward = cells == 2 * src.num_cells  # one forward per genotype
        with _no_init(not forward):
            net = DDartsNet(src, channels=2, num_cells=cells, aux_index=None)
        cmap = net.genotype.meta['expanded_from']['cell_map']
        red = net.genotype.reductions
        assert _count(net) == net_params(genes, cmap, red, 2), (path, cells)
        if not forward:
            continue
        net.eval()
        with torch.no_grad():
            out = net(x)[0]
        k = len(red)
        nodes = len({to for _, to, _ in genes[cmap[-1]]})
        assert out.shape == (1, nodes * 2 * 2 ** k, 32 // 2 ** k,
                             32 // 2 ** k)
