"""Parsing alpha -> genotype on hand-built weights with known answers."""
import numpy as np
import pytest
import torch

from mmddarts.structures.parsing import (edge_index, num_edges, parse_gene,
                                         parse_genotype, prune_unfed)
from mmddarts.structures.genotype import Edge, Genotype
from mmddarts.structures.op_sets import DARTS_OPS, EXTENDED_OPS, NONE_OP

OPS = list(DARTS_OPS)


def col(name, ops=OPS):
    return ops.index(name)


def weights(steps, entries, ops=OPS, fill=0.1):
    """[edges, ops] filled with ``fill`` and {(to, src, op): w} set."""
    W = np.full((num_edges(steps), len(ops)), fill)
    for (to, src, op), w in entries.items():
        W[edge_index(to, src), col(op, ops)] = w
    return W


# steps=2: node 2 <- {0, 1}; node 3 <- {0, 1, 2}  (5 edges)
W_MAIN = weights(2, {
    (2, 0, 'sep_conv_3x3'): 0.90,
    (2, 0, 'sep_conv_5x5'): 0.88,
    (2, 1, 'skip_connect'): 0.80,  # below T: dropped by sparse / edge
    (2, 1, 'max_pool_3x3'): 0.30,
    (3, 0, 'dil_conv_3x3'): 0.95,
    (3, 0, 'dil_conv_5x5'): 0.90,
    (3, 0, 'avg_pool_3x3'): 0.87,  # third op >= T: edge keeps only 2
    (3, 1, 'sep_conv_3x3'): 0.20,
    (3, 2, 'avg_pool_3x3'): 0.86,
})


def test_edge_index_layout():
    assert num_edges(4) == 14 and num_edges(6) == 27
    # DARTS' row order: node 2: 0,1; node 3: 2,3,4; node 4: 5..8; node 5
    assert [edge_index(2, 0), edge_index(2, 1), edge_index(3, 0),
            edge_index(3, 2), edge_index(4, 0), edge_index(5, 4)] == \
        [0, 1, 2, 4, 5, 13]


def test_darts_method():
    edges, fb = parse_gene(W_MAIN, OPS, steps=2, method='darts')
    assert edges == [Edge('sep_conv_3x3', 2, 0), Edge('skip_connect', 2, 1),
                     Edge('dil_conv_3x3', 3, 0), Edge('avg_pool_3x3', 3, 2)]
    assert not fb


def test_sparse_method_threshold():
    edges, _ = parse_gene(W_MAIN, OPS, steps=2, method='sparse',
                          threshold=0.85)
    assert edges == [Edge('sep_conv_3x3', 2, 0), Edge('dil_conv_3x3', 3, 0),
                     Edge('avg_pool_3x3', 3, 2)]
    # a lower threshold lets the skip of 2<-1 in; 0.87 drops 3<-2 (0.86)
    edges, _ = parse_gene(W_MAIN, OPS, steps=2, method='sparse',
                          threshold=0.8)
    assert Edge('skip_connect', 2, 1) in edges
    edges, _ = parse_gene(W_MAIN, OPS, steps=2, method='sparse',
                          threshold=0.87)
    assert edges == [Edge('sep_conv_3x3', 2, 0), Edge('dil_conv_3x3', 3, 0)]


def test_edge_method_top2_threshold():
    edges, _ = parse_gene(W_MAIN, OPS, steps=2, method='edge',
                          threshold=0.85)
    assert edges == [
        Edge('sep_conv_3x3', 2, 0), Edge('sep_conv_5x5', 2, 0),
        Edge('dil_conv_3x3', 3, 0), Edge('dil_conv_5x5', 3, 0),
        Edge('avg_pool_3x3', 3, 2)
    ]
    edges, _ = parse_gene(W_MAIN, OPS, steps=2, method='edge',
                          threshold=0.89)
    assert edges == [Edge('sep_conv_3x3', 2, 0), Edge('dil_conv_3x3', 3, 0),
                     Edge('dil_conv_5x5', 3, 0)]


def test_none_never_selected_nor_counted():
    ops = [NONE_OP] + OPS
    W = weights(2, {
        (2, 0, NONE_OP): 0.90, (2, 0, 'sep_conv_3x3'): 0.05,
        (2, 1, NONE_OP): 0.10, (2, 1, 'skip_connect'): 0.30,
        (3, 0, NONE_OP): 0.99, (3, 0, 'max_pool_3x3'): 0.02,
        (3, 1, 'skip_connect'): 0.20,
        (3, 2, 'sep_conv_5x5'): 0.15,
    }, ops=ops, fill=0.01)
    edges, _ = parse_gene(W, ops, steps=2, method='darts')
    # 3<-0 has the largest weight, but only through 'none'
    assert edges == [Edge('sep_conv_3x3', 2, 0), Edge('skip_connect', 2, 1),
                     Edge('skip_connect', 3, 1), Edge('sep_conv_5x5', 3, 2)]
    W2 = weights(2, {(2, 0, NONE_OP): 0.99, (2, 0, 'skip_connect'): 0.9,
                     (2, 1, NONE_OP): 0.99}, ops=ops, fill=0.01)
    edges, _ = parse_gene(W2, ops, steps=2, method='edge', threshold=0.85)
    assert edges == [Edge('skip_connect', 2, 0)]


def test_unfed_sources_pruned_iteratively():
    # steps=3: node 2 gets nothing >= T, node 3 only reads node 2, node 4
    # reads node 3 and node 1: only 4<-1 survives.
    W = weights(3, {
        (2, 0, 'sep_conv_3x3'): 0.5,
        (3, 2, 'sep_conv_3x3'): 0.95,
        (4, 3, 'max_pool_3x3'): 0.97,
        (4, 1, 'dil_conv_5x5'): 0.9,
    })
    for method in ('sparse', 'edge'):
        edges, fb = parse_gene(W, OPS, steps=3, method=method)
        assert edges == [Edge('dil_conv_5x5', 4, 1)], method
        assert not fb
    assert prune_unfed([Edge('a', 3, 2), Edge('b', 4, 3), Edge('c', 2, 0)]) \
        == [Edge('a', 3, 2), Edge('b', 4, 3), Edge('c', 2, 0)]


def test_empty_gene_fallback():
    W = weights(2, {(2, 1, 'dil_conv_3x3'): 0.6, (3, 0, 'skip_connect'): 0.7})
    edges, fb = parse_gene(W, OPS, steps=2, method='sparse')
    # the strongest op into node 2, regardless of T (not the 0.7 of node 3)
    assert edges == [Edge('dil_conv_3x3', 2, 1)] and fb


def test_parse_genotype_seq_meta_and_torch_input():
    W_empty = weights(2, {(2, 0, 'skip_connect'): 0.5})
    g = parse_genotype([torch.from_numpy(W_MAIN), W_empty], OPS,
                       seq=[0, 1, 0], reductions=[1], steps=2,
                       method='sparse', meta={'dataset': 'toy'})
    assert isinstance(g, Genotype)
    assert g.seq == (0, 1, 0) and g.reductions == (1, ) and g.steps == 2
    assert g.op_set == 'darts'
    assert g.gene(2) == (Edge('sep_conv_3x3', 2, 0),
                         Edge('dil_conv_3x3', 3, 0),
                         Edge('avg_pool_3x3', 3, 2))
    assert g.gene(1) == (Edge('skip_connect', 2, 0), )
    assert g.meta == {'parse_method': 'sparse', 'threshold': 0.85,
                      'empty_fallback': [dict(
                          owner=1, cells=[1], op='skip_connect', to=2,
                          src=0, weight=0.5, threshold=0.85)],
                      'dataset': 'toy'}
    assert Genotype.from_json(g.to_json()) == g


def test_parse_genotype_extended_and_errors():
    ops = list(EXTENDED_OPS)
    W = np.full((num_edges(2), len(ops)), 0.1)
    W[edge_index(2, 0), ops.index('bottleneck_1x3x1')] = 0.99
    g = parse_genotype([W], ops, seq=[0], reductions=[], steps=2)
    assert g.op_set == 'extended'
    assert g.genes == ((Edge('bottleneck_1x3x1', 2, 0), ), )
    with pytest.raises(ValueError, match='owner'):
        parse_genotype([W], ops, seq=[0, 1], reductions=[], steps=2)
    with pytest.raises(ValueError, match='alpha owner 0.*steps=4'):
        parse_genotype([W], ops, seq=[0], reductions=[], steps=4)
    with pytest.raises(ValueError, match='unknown parse method'):
        parse_gene(W, ops, steps=2, method='top2')
