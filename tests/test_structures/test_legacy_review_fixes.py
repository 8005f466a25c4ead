"""Genotype paths as os.PathLike, DARTS concats for concat_rule='legacy', and
the total-size bound of the safe legacy parser."""
import json
import pathlib

import pytest
import torch

from mmddarts.models.derived_cell import DerivedCell
from mmddarts.structures.expand import expand_genotype
from mmddarts.structures import GenotypeError, parse_legacy_genotype
from mmddarts.structures.loading import genotype_from_any, load_genotype

# DARTS format, normal_concat [4, 5] (not the fed nodes 2..5), reduce_concat
# the fed nodes
DARTS_CONCAT = (
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
    "('sep_conv_3x3', 0), ('skip_connect', 2), ('sep_conv_3x3', 1), "
    "('skip_connect', 3), ('skip_connect', 0), ('dil_conv_3x3', 4)], "
    "normal_concat=[4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), "
    "('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], "
    'reduce_concat=[2, 3, 4, 5])')
TINY = {'format': 'mmddarts.genotype', 'version': 1, 'op_set': 'darts',
        'steps': 1, 'genes': [[['skip_connect', 2, 0]]], 'seq': [0],
        'reductions': [], 'meta': {}}


class _MyPath:
    """A minimal os.PathLike that is neither str nor pathlib."""

    def __init__(self, path):
        self.path = str(path)

    def __fspath__(self):
        return self.path


def test_from_any_accepts_path_like(tmp_path):
    js = tmp_path / 'g.json'
    js.write_text(json.dumps(TINY))
    txt = tmp_path / 'g.txt'
    txt.write_text(DARTS_CONCAT)
    for path in (js, _MyPath(js)):
        g = genotype_from_any(path)
        assert g.genes == genotype_from_any(str(js)).genes
    assert genotype_from_any(pathlib.Path(txt)).meta['legacy_format'] == \
        'Genotype'
    with pytest.raises(FileNotFoundError, match='missing.json'):
        genotype_from_any(tmp_path / 'missing.json')
    with pytest.raises(TypeError, match='os.PathLike'):
        genotype_from_any(3)


def test_darts_concats_that_differ_are_kept_per_cell_kind(tmp_path):
    g = parse_legacy_genotype(DARTS_CONCAT, num_cells=8)
    assert g.meta['normal_concat'] == [4, 5]
    assert g.meta['legacy_concat'] == {'normal': [4, 5],
                                       'reduce': [2, 3, 4, 5]}
    # reductions at 8//3 = 2 and 16//3 = 5
    assert [g.legacy_concat(c) for c in range(8)] == [
        [4, 5], [4, 5], [2, 3, 4, 5], [4, 5], [4, 5], [2, 3, 4, 5], [4, 5],
        [4, 5]]
    # survives the JSON round trip and Algorithm 1 (by cell kind)
    path = tmp_path / 'g.json'
    g.save(str(path))
    assert load_genotype(path).legacy_concat(0) == [4, 5]
    g14 = expand_genotype(g, 14)
    assert [g14.legacy_concat(c) for c in (0, 4, 9, 13)] == [
        [4, 5], [2, 3, 4, 5], [2, 3, 4, 5], [4, 5]]
    # what concat_rule='legacy' builds from it: normal cell 0 outputs nodes
    # 4 and 5 only, 2 x C channels
    cell = DerivedCell(g.gene(0), 12, 12, 4, False, False,
                       concat=g.legacy_concat(0))
    assert cell.concat == (4, 5)
    assert cell(torch.zeros(1, 12, 8, 8), torch.zeros(1, 12, 8, 8),
                0.).shape == (1, 8, 8, 8)


def test_equal_or_default_darts_concats():
    same = DARTS_CONCAT.replace('reduce_concat=[2, 3, 4, 5]',
                                'reduce_concat=[4, 5]')
    g = parse_legacy_genotype(same)
    assert g.meta['legacy_concat'] == [4, 5]
    assert g.legacy_concat(2) == g.legacy_concat(3) == [4, 5]
    # concats equal to the fed nodes: nothing to honour, fed rule is exact
    default = DARTS_CONCAT.replace('normal_concat=[4, 5]',
                                   'normal_concat=range(2, 6)')
    g = parse_legacy_genotype(default)
    assert 'legacy_concat' not in g.meta and g.legacy_concat(0) is None
    # D-DARTS texts: one concat for every cell
    g = parse_legacy_genotype(
        "Genotype_nested(genes=[[('skip_connect', 2, 0)], "
        "[('skip_connect', 2, 1)]], concat=range(2, 3), reductions=[1])")
    assert g.legacy_concat(0) == g.legacy_concat(1) == [2]


@pytest.mark.parametrize('bad,message', [
    ({'normal': [2]}, "exactly the keys 'normal' and 'reduce'"),
    ({'normal': [2], 'reduce': 'x'}, "['reduce']: expected a non-empty"),
    ([], 'expected a non-empty list'),
])
def test_bad_legacy_concat_meta(bad, message):
    g = genotype_from_any(dict(TINY, meta={'legacy_concat': bad}))
    with pytest.raises(GenotypeError, match=message.replace('[', r'\[')
                       .replace(']', r'\]')):
        g.legacy_concat(0)


def _nested(reductions):
    return ("Genotype_nested(genes=[[('sep_conv_3x3', 2, 0)]], "
            f'reductions={reductions})')


def test_total_size_is_bounded_before_anything_is_copied(tmp_path):
    # 90 bytes, 3000 lists of 3000 edges (9M edges) by aliasing
    bomb = tmp_path / 'bomb.txt'
    bomb.write_text("Genotype_nested(genes=[[('sep_conv_3x3', 2, 0)] * 3000]"
                    ' * 3000, concat=[2], reductions=[])')
    with pytest.raises(GenotypeError, match='expands to more than 500000'
                       ) as err:
        load_genotype(bomb)
    assert str(err.value).startswith(str(bomb))


def test_size_accounting_at_the_limit():
    # [[0] * 9999] * k: each inner list is 1 + 9999 elements, the outer one
    # 1 + k * 10000: k = 49 -> 490,001 (allowed, then rejected as not a list
    # of integers), k = 50 -> 500,001 (over 500,000)
    with pytest.raises(GenotypeError, match='list of integers'):
        parse_legacy_genotype(_nested('[[0] * 9999] * 49'))
    with pytest.raises(GenotypeError, match='expands to more than'):
        parse_legacy_genotype(_nested('[[0] * 9999] * 50'))
    # the fields add up: 300,031 elements each, 600,062 together
    half = '[[0] * 9999] * 30'
    with pytest.raises(GenotypeError, match='list of integers'):
        parse_legacy_genotype(_nested(half))
    with pytest.raises(GenotypeError, match='expands to more than'):
        parse_legacy_genotype(
            "Genotype_nested(genes=[[('sep_conv_3x3', 2, 0)]], "
            f'concat={half}, reductions={half})')
