"""Algorithm 1: deriving deeper / shallower networks from a genotype."""
import pytest

from mmddarts.structures import (Genotype, GenotypeError, default_reductions,
                                 expand_genotype, expansion_map,
                                 spread_reductions)
from mmddarts.structures.baselines import get_baseline

OPS = ('max_pool_3x3', 'avg_pool_3x3', 'skip_connect', 'sep_conv_3x3',
       'sep_conv_5x5', 'dil_conv_3x3', 'dil_conv_5x5')


def individual(num_cells, reductions):
    """A D-DARTS-like genotype whose gene i is recognisable: one edge
    op OPS[i % 7] into node 2 + i // 7 (so every gene differs)."""
    genes = []
    for i in range(num_cells):
        gene = [(OPS[i % 7], 2, 0)]
        if i >= 7:
            gene.append((OPS[i % 7], 3, 2))
        genes.append(gene)
    return Genotype(genes=genes, seq=list(range(num_cells)),
                    reductions=reductions)


def gene_ids(result, source):
    """Which source gene each cell of ``result`` uses (by content)."""
    return [source.genes.index(result.gene(c))
            for c in range(result.num_cells)]


def test_8_to_14():
    src = individual(8, default_reductions(8))
    out = expand_genotype(src, 14)
    assert out.reductions == (4, 9) == default_reductions(14)
    assert gene_ids(out, src) == [0, 1, 0, 1, 2, 3, 4, 3, 4, 5, 6, 7, 6, 7]
    assert out.seq == (0, 1, 0, 1, 2, 3, 4, 3, 4, 5, 6, 7, 6, 7)
    assert out.meta['expanded_from'] == {
        'num_cells': 8, 'reductions': [2, 5],
        'cell_map': [0, 1, 0, 1, 2, 3, 4, 3, 4, 5, 6, 7, 6, 7]}
    assert out.steps == src.steps and out.op_set == src.op_set


def test_8_to_20():
    src = individual(8, (2, 5))
    out = expand_genotype(src, 20)
    assert out.reductions == (6, 13)  # 20 // 3, 40 // 3
    assert gene_ids(out, src) == [0, 1, 0, 1, 0, 1, 2,
                                  3, 4, 3, 4, 3, 4, 5,
                                  6, 7, 6, 7, 6, 7]


def test_darts_two_genes_to_20():
    # DARTS: one normal and one reduction gene; 20 cells is DARTS' own net
    g = Genotype(genes=[[('sep_conv_3x3', 2, 0)], [('max_pool_3x3', 2, 1)]],
                 seq=[0, 0, 1, 0, 0, 1, 0, 0], reductions=[2, 5])
    out = expand_genotype(g, 20)
    assert out.seq == tuple(1 if c in (6, 13) else 0 for c in range(20))
    assert out.genes == g.genes


def test_four_reductions():
    src = individual(11, [2, 4, 6, 8])
    assert spread_reductions(11, 4) == (2, 4, 6, 8)
    out = expand_genotype(src, 16)
    assert out.reductions == (3, 6, 9, 12)  # floor(i * 16 / 5)
    # segments [0,1] | 2 | [3] | 4 | [5] | 6 | [7] | 8 | [9,10]
    assert gene_ids(out, src) == [0, 1, 0, 2, 3, 3, 4, 5, 5, 6, 7, 7, 8,
                                  9, 10, 9]


def test_identity_and_round_trip():
    src = individual(8, (2, 6))  # non-default layout is kept at N -> N
    same = expand_genotype(src, 8)
    assert same == src
    resnet = get_baseline('resnet50')
    assert expand_genotype(resnet, 4) == resnet
    # truncation undoes the cycling: 8 -> 14 -> 8 is the identity
    src = individual(8, (2, 5))
    back = expand_genotype(expand_genotype(src, 14), 8)
    assert back == src
    assert back.meta['expanded_from']['cell_map'] == [0, 1, 4, 5, 6, 9, 10,
                                                      11]


def test_truncation_drops_unused_genes():
    src = individual(8, (2, 5))
    out = expand_genotype(src, 5)
    assert out.reductions == (1, 3)
    # [0, 1] -> [0] | 2 | [3, 4] -> [3] | 5 | [6, 7] -> [6]
    assert gene_ids(out, src) == [0, 2, 3, 5, 6]
    assert len(out.genes) == 5 and out.seq == (0, 1, 2, 3, 4)


def test_shared_genes_and_explicit_reductions():
    resnet18 = get_baseline('resnet18')  # reductions 1, 2, 3: empty segments
    # stages without normal cells repeat their reduction gene (issue 14)
    grown = expand_genotype(resnet18, 7)
    assert grown.reductions == (1, 3, 5)  # floor(i * 7 / 4)
    assert grown.meta['expanded_from']['cell_map'] == [0, 1, 1, 2, 2, 3, 3]
    out = expand_genotype(resnet18, 7, reductions=[4, 5, 6])
    assert out.seq == (0,) * 7 and out.reductions == (4, 5, 6)
    xception = get_baseline('xception')
    out = expand_genotype(xception, 20, reductions=[1, 2, 18, 19])
    assert out.seq == (0, 0, 0) + (1,) * 15 + (0, 2)
    assert expansion_map(xception, 20, [1, 2, 18, 19])[0][3:18] == tuple(
        3 + i % 8 for i in range(15))


def test_errors():
    src = individual(8, (2, 5))
    with pytest.raises(GenotypeError, match=r'2 reduction cell\(s\) \[2, 5\] '
                       r'but 3 target'):
        expand_genotype(src, 14, reductions=[3, 6, 9])
    with pytest.raises(GenotypeError, match='strictly increasing'):
        expand_genotype(src, 14, reductions=[9, 4])
    with pytest.raises(GenotypeError, match=r'positions in 0\.\.13'):
        expand_genotype(src, 14, reductions=[4, 14])
    with pytest.raises(GenotypeError, match='positive integer'):
        expand_genotype(src, 0)
    with pytest.raises(GenotypeError, match='cannot place 2 distinct'):
        expand_genotype(src, 1)
    # the target needs normal cells before the first reduction where the
    # source has none (and no reduction gene to repeat there)
    edge = individual(8, (0, 5))
    with pytest.raises(GenotypeError, match=r'stage 0 of the target '
                       r'\(cells 0\.\.3, before the first reduction\) '
                       r'needs 4 normal cell\(s\)'):
        expand_genotype(edge, 14, reductions=[4, 9])
    # by default its stages [], [0..4], [5..7] are scaled: [0, 9, 5]
    assert expand_genotype(edge, 14).reductions == (0, 9)
    # ... but an empty target segment is fine
    out = expand_genotype(edge, 14, reductions=[0, 9])
    assert gene_ids(out, edge)[:2] == [0, 1]
