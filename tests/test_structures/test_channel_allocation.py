"""ACA allocations in genotypes: the width-free rank map (hand-computed),
schema version 2, old files unchanged, clear errors (docs/aca.md)."""
import json
import glob
import os.path as osp

import pytest

from mmddarts.structures import Genotype
from mmddarts.structures.channel_allocation import (EdgeAllocation,
                                                    num_op_channels,
                                                    op_channels)
from mmddarts.structures.genotype import GenotypeError
from mmddarts.structures.loading import load_genotype

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
GENE = [('sep_conv_3x3', 2, 0), ('max_pool_3x3', 2, 1),
        ('dil_conv_3x3', 3, 2), ('sep_conv_5x5', 3, 0)]


def geno(allocations=None):
    return Genotype(genes=[GENE], seq=[0, 0, 0], reductions=[1], steps=2,
                    allocations=allocations)


def test_rank_map_same_width_is_the_searched_split():
    # channel 1 best, then 3, 0, 2
    a = EdgeAllocation(0.5, (2, 0, 3, 1))
    assert op_channels(a, 4) == ([1, 3], [0, 2])


def test_rank_map_to_wider_and_narrower_widths():
    a = EdgeAllocation(0.5, (2, 0, 3, 1))
    # C=8: target c covers searched c*4//8 = 0,0,1,1,2,2,3,3 with ranks
    # 2,2,0,0,3,3,1,1 -> the 4 best: 2,3 (rank 0), 6,7 (rank 1)
    assert op_channels(a, 8) == ([2, 3, 6, 7], [0, 1, 4, 5])
    # C=6: covers 0,0,1,2,2,3 -> ranks 2,2,0,3,3,1; 3 best: 2, 5, then 0
    assert op_channels(a, 6) == ([0, 2, 5], [1, 3, 4])
    # C=2: covers 0 (rank 2), 2 (rank 3); round(0.5 * 2) = 1 -> channel 0
    assert op_channels(a, 2) == ([0], [1])


def test_rounding_is_half_up():
    assert num_op_channels(0.5, 1) == 1
    assert num_op_channels(0.25, 6) == 2  # 1.5 -> 2, not banker's 2
    assert num_op_channels(0.375, 4) == 2  # 1.5 -> 2
    assert num_op_channels(0.125, 4) == 1  # 0.5 -> 1
    assert num_op_channels(0.0, 36) == 0
    assert num_op_channels(1.0, 36) == 36


def test_stride_two_single_identity_channel_goes_to_the_op():
    a = EdgeAllocation(0.75, (0, 1, 2, 3))
    assert op_channels(a, 4, stride=1) == ([0, 1, 2], [3])
    assert op_channels(a, 4, stride=2) == ([0, 1, 2, 3], [])
    assert op_channels(EdgeAllocation(0.5, (0, 1, 2, 3)), 4, 2) == \
        ([0, 1], [2, 3])


def test_json_round_trip_and_version():
    allocs = [[{'fraction': 0.5, 'ranks': [1, 0, 3, 2]}, None, None,
               {'fraction': 0.25, 'ranks': [0, 1, 2, 3]}]]
    g = geno(allocs)
    data = json.loads(g.to_json(indent=2))
    assert data['version'] == 2
    assert data['allocations'][0][1] is None
    back = Genotype.from_json(g.to_json(indent=2))
    assert back == g
    assert back.allocation(2, 0) == EdgeAllocation(0.5, (1, 0, 3, 2))
    # a plain genotype is still written as version 1 (old readers read it)
    assert geno().to_dict()['version'] == 1
    assert 'allocations' not in geno().to_dict()


@pytest.mark.parametrize('path', sorted(glob.glob(
    osp.join(ROOT, 'configs', 'genotypes', '*.json'))), ids=osp.basename)
def test_shipped_genotypes_load_unchanged(path):
    with open(path) as f:
        data = json.load(f)
    g = load_genotype(path)
    assert g.allocations is None
    out = g.to_dict()
    assert out['version'] == 1 and 'allocations' not in out
    for key, value in data.items():  # every field as the file has it
        assert out[key] == value, key


@pytest.mark.parametrize('allocs, words', [
    ([[None, None, None]], 'gene 0: expected one entry per edge (4 edges), '
     'got 3'),
    ([[None] * 5], 'got 5 (an allocation for a missing edge?)'),
    ([[None, {'fraction': 1.5, 'ranks': [0, 1]}, None, None]],
     "gene 0, edge 1 ('max_pool_3x3', 2, 1): fraction 1.5 outside [0, 1]"),
    ([[None, None, {'fraction': 0.5, 'ranks': [0, 0]}, None]],
     'edge 2 (\'dil_conv_3x3\', 3, 2): ranks [0, 0] are not a permutation'),
    ([[None, None, None, {'fraction': 0.5}]], "exactly the keys"),
    ([], 'one list per gene (1 genes), got 0'),
])
def test_bad_allocations_name_gene_and_edge(allocs, words):
    with pytest.raises(GenotypeError) as err:
        geno(allocs)
    assert words in str(err.value)


def test_old_style_consumers_refuse_allocations():
    g = geno([[None, None, {'fraction': 0.5, 'ranks': [0, 1]}, None]])
    with pytest.raises(GenotypeError, match=r"legacy export does not support "
                       r"ACA channel allocations \(gene 0, cell\(s\) "
                       r"\[0, 1, 2\], edge 2"):
        g.require_plain('legacy export')
    assert geno().require_plain('x') == geno()
    # an older mmddarts (version-1 reader) refuses the file by its version;
    # version 1 with allocations is refused here too
    data = g.to_dict()
    data['version'] = 1
    with pytest.raises(GenotypeError, match='needs format version 2'):
        Genotype.from_dict(data)
    data['version'] = 3
    with pytest.raises(GenotypeError, match='format version 3 is not '
                       'supported'):
        Genotype.from_dict(data)


def test_bad_width():
    from mmddarts.structures.channel_allocation import AllocationError
    with pytest.raises(AllocationError, match='cell 2, edge 0: width 0 is '
                       'too small'):
        op_channels(EdgeAllocation(0.5, (0, 1)), 0, where='cell 2, edge 0')


def test_expansion_keeps_each_gene_allocation():
    from mmddarts.structures.expand import expand_genotype
    g = Genotype(genes=[GENE, GENE[:2]], seq=[0, 1, 0], reductions=[1],
                 steps=2, allocations=[
                     [None, None, {'fraction': 0.5, 'ranks': [0, 1]}, None],
                     [{'fraction': 1.0, 'ranks': [0]}, None]])
    big = expand_genotype(g, 6)
    for k in range(6):
        src = big.meta['expanded_from']['cell_map'][k]
        assert big.allocations[big.seq[k]] == g.allocations[g.seq[src]]
