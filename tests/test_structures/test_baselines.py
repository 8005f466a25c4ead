"""Handcrafted baselines: every edge of the ResNet18 / ResNet50 / Xception
genotypes is there."""
import pytest

from mmddarts.structures.baselines import BASELINE_NAMES, get_baseline
from mmddarts.structures import Edge

BN, SK = 'bottleneck_1x3x1', 'skip_connect'

# Written from the design notes' text, edge by edge (op, to, from).
RESNET18 = {('simple_conv_3x3', 2, 0), ('simple_conv_3x3', 3, 2),
            ('skip_connect', 3, 0), ('simple_conv_3x3', 4, 3),
            ('simple_conv_3x3', 5, 4), ('skip_connect', 5, 3)}
RESNET50_0 = {(BN, 2, 0), (SK, 2, 0), (BN, 3, 2), (SK, 3, 2), (BN, 4, 3),
              (SK, 4, 3)}
RESNET50_1 = RESNET50_0 | {(BN, 5, 4), (SK, 5, 4)}
RESNET50_2 = RESNET50_1 | {(BN, 6, 5), (SK, 6, 5), (BN, 7, 6), (SK, 7, 6)}
XCEPTION_0 = {('simple_conv_1x1', 4, 0), ('sep_conv_3x3', 2, 0),
              ('sep_conv_3x3', 3, 2), ('max_pool_3x3', 4, 3)}
XCEPTION_1 = {('skip_connect', 4, 0), ('sep_conv_3x3', 2, 0),
              ('sep_conv_3x3', 3, 2), ('sep_conv_3x3', 4, 3)}
XCEPTION_2 = {('sep_conv_3x3', 2, 0), ('sep_conv_3x3', 3, 2)}


def as_set(gene):
    edges = set(gene)
    assert len(edges) == len(gene)  # no duplicates hidden by the set
    return edges


def test_names():
    assert set(BASELINE_NAMES) == {'resnet18', 'resnet50', 'xception'}
    assert get_baseline('ResNet18') == get_baseline('resnet18')
    with pytest.raises(KeyError, match='unknown baseline .*resnet101'):
        get_baseline('resnet101')


def test_resnet18():
    g = get_baseline('resnet18')
    assert [as_set(gene) for gene in g.genes] == [RESNET18]
    assert g.seq == (0, 0, 0, 0) and g.reductions == (1, 2, 3)
    assert g.steps == 4 and g.op_set == 'extended'


def test_resnet50():
    g = get_baseline('resnet50')
    assert [as_set(gene) for gene in g.genes] == [RESNET50_0, RESNET50_1,
                                                  RESNET50_2]
    assert g.seq == (0, 1, 2, 0) and g.reductions == (1, 2, 3)
    assert g.steps == 6 and g.op_set == 'extended'
    # 3, 4, 6, 3 residual blocks per stage, as in ResNet50
    assert [sum(e.op == BN for e in g.gene(c)) for c in range(4)] == [
        3, 4, 6, 3]


def test_xception():
    g = get_baseline('xception')
    assert [as_set(gene) for gene in g.genes] == [XCEPTION_0, XCEPTION_1,
                                                  XCEPTION_2]
    assert g.seq == (0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 2)
    assert g.reductions == (1, 2, 11, 12)
    assert g.steps == 4 and g.op_set == 'extended'


@pytest.mark.parametrize('name', ['resnet18', 'resnet50', 'xception'])
def test_edges_in_node_order(name):
    for gene in get_baseline(name).genes:
        targets = [e.to for e in gene]
        assert targets == sorted(targets)
        assert all(isinstance(e, Edge) for e in gene)
