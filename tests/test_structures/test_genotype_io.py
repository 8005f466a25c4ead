"""JSON round trip and validation errors of the typed Genotype."""
import json

import pytest

from mmddarts.structures import Edge, Genotype, GenotypeError
from mmddarts.structures.loading import genotype_from_any, load_genotype

GENE_A = [('sep_conv_3x3', 2, 0), ('skip_connect', 2, 1),
          ('dil_conv_5x5', 3, 2), ('max_pool_3x3', 4, 1),
          ('avg_pool_3x3', 5, 4)]
GENE_B = [('max_pool_3x3', 2, 0), ('sep_conv_5x5', 3, 1)]


def make(**kw):
    fields = dict(genes=[GENE_A, GENE_B], seq=[0, 0, 1, 0, 0, 1, 0, 0],
                  reductions=[2, 5], steps=4, op_set='darts',
                  meta={'dataset': 'cifar10', 'threshold': 0.85,
                        'nested': {'a': [1, 2]}})
    fields.update(kw)
    return Genotype(**fields)


def test_json_round_trip_exact(tmp_path):
    g = make()
    path = tmp_path / 'sub' / 'g.json'
    g.save(str(path))
    back = load_genotype(str(path))
    assert back == g
    assert back.meta == g.meta  # meta is not part of ==, check it apart
    assert back.genes[0][0] == Edge('sep_conv_3x3', 2, 0)
    assert back.seq == (0, 0, 1, 0, 0, 1, 0, 0)
    assert back.reductions == (2, 5)
    # the file is plain JSON with the documented keys
    data = json.loads(path.read_text())
    assert data['genes'][1] == [['max_pool_3x3', 2, 0],
                                ['sep_conv_5x5', 3, 1]]
    assert data['format'] == 'mmddarts.genotype'
    # compact and indented text describe the same dict
    assert json.loads(g.to_json()) == json.loads(g.to_json(indent=2))
    assert genotype_from_any(str(path)) == g
    assert genotype_from_any(g.to_dict()) == g


def test_accessors():
    g = make()
    assert g.num_cells == 8
    assert g.gene(2) == g.genes[1] and g.is_reduction(5)
    assert not g.is_reduction(4)
    assert g.concat(0) == (2, 3, 4, 5)
    assert g.concat(2) == (2, 3)
    assert g.num_edges() == 14


BAD = [
    # (changes, fragment expected in the message)
    (dict(genes=[[('conv_9x9', 2, 0)]], seq=[0]), "unknown op 'conv_9x9'"),
    (dict(genes=[[('sep_conv_3x3', 6, 0)]], seq=[0]),
     'target node 6 out of range'),
    (dict(genes=[[('sep_conv_3x3', 2, 3)]], seq=[0]),
     'source node 3 out of range'),
    (dict(genes=[[('sep_conv_3x3', 2, 2)]], seq=[0]), 'to itself'),
    (dict(genes=[[('none', 2, 0)]], seq=[0]), "'none' is a search-only op"),
    (dict(genes=[[('sep_conv_3x3', 3, 2)]], seq=[0]),
     'reads node 2, which has no incoming edge'),
    (dict(genes=[[('simple_conv_3x3', 2, 0)]], seq=[0]),
     "unknown op 'simple_conv_3x3' for op_set 'darts'"),
    (dict(reductions=[2, 8]), 'reduction cell 8 out of range'),
    (dict(reductions=[5, 2]), 'strictly increasing'),
    (dict(reductions=[2, 2]), 'strictly increasing'),
    (dict(genes='sep_conv_3x3'), 'genes must be a list'),
    (dict(genes=[[('sep_conv_3x3', 2)]], seq=[0]),
     'must be an (op, to, from) triple'),
    (dict(genes=['sep_conv_3x3']), 'gene 0: must be a list of edges'),
    (dict(seq=[0, 'a']), "seq[1] (cell 1) = 'a'"),
    (dict(seq='0011'), 'seq must be a list of integers'),
    (dict(seq=[0, 2]), 'seq[1] (cell 1) = 2: not a gene index'),
    (dict(steps=0), 'steps must be a positive integer'),
    (dict(op_set='nasbench'), "unknown op_set 'nasbench'"),
    (dict(meta={'x': object()}), 'meta is not JSON-serialisable'),
]


@pytest.mark.parametrize('changes,message', BAD,
                         ids=[m for _, m in BAD])
def test_bad_genotypes(changes, message):
    with pytest.raises(GenotypeError) as err:
        make(**changes)
    assert message in str(err.value)


def test_errors_name_gene_and_edge():
    with pytest.raises(GenotypeError, match=r"gene 1, edge 1 \('conv_9x9'"):
        make(genes=[GENE_A, [('max_pool_3x3', 2, 0), ('conv_9x9', 3, 1)]])


def test_from_dict_errors_name_source():
    data = make().to_dict()
    data['genes'][0][0] = ['sep_conv_3x3', 2]
    with pytest.raises(GenotypeError, match=r'^my\.json: gene 0, edge 0'):
        Genotype.from_dict(data, source='my.json')
    bad = make().to_dict()
    bad['colour'] = 'red'
    with pytest.raises(GenotypeError, match=r"unknown key\(s\) \['colour'\]"):
        Genotype.from_dict(bad)
    del bad['colour'], bad['seq']
    with pytest.raises(GenotypeError, match=r"missing key\(s\) \['seq'\]"):
        Genotype.from_dict(bad)


def test_truncated_json_names_file_and_line(tmp_path):
    text = make().to_json(indent=2)
    cut = text[:text.index('"seq"') + 3]
    path = tmp_path / 'broken.json'
    path.write_text(cut)
    expected_line = cut.count('\n') + 1  # the cut is on the last line
    with pytest.raises(GenotypeError) as err:
        load_genotype(str(path))
    msg = str(err.value)
    assert str(path) in msg
    assert f'invalid JSON at line {expected_line}' in msg


def test_missing_file():
    with pytest.raises(FileNotFoundError, match='no/such/file.json'):
        load_genotype('no/such/file.json')


def test_missing_relative_file_names_the_directory(tmp_path, monkeypatch):
    # configs give genotypes relative to the repository root: a run from
    # elsewhere must say where the file was looked for
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError,
                       match='relative to the current directory') as info:
        genotype_from_any('configs/genotypes/darts-v2.json')
    assert str(tmp_path) in str(info.value)
    missing = str(tmp_path / 'nope.json')
    with pytest.raises(FileNotFoundError, match='not found') as info:
        load_genotype(missing)
    assert 'current directory' not in str(info.value)
