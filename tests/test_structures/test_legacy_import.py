"""Safe importers of the legacy DARTS / D-DARTS genotype texts."""
import glob
import os.path as osp
import re

import pytest

from mmddarts.structures import (Edge, GenotypeError, load_genotype_table,
                                 parse_legacy_genotype, read_genotype_table)
from mmddarts.structures.loading import load_genotype

# The authors' released files, shipped with the tests (source and licence:
# tests/data/reference/README.md), so every clone runs these checks.
REF = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'data',
               'reference')
DDARTS_FILES = sorted(
    glob.glob(osp.join(REF, 'd-darts', 'genotypes', '*.txt')))
TSV = osp.join(REF, 'darts', 'genotypes.tsv')

TRIPLE = re.compile(r"\('(\w+)', (\d+), (\d+)\)")
PAIR = re.compile(r"\('(\w+)', (\d+)\)")
# The one released file whose last cell is disconnected from its inputs.
BROKEN = 'Xception_cifar100_threshold_edge_0.85.txt'


def _count_from_text(text):
    """Genes and their edges, counted with regexes only (no parser)."""
    body = text[text.index('genes=[[') + len('genes=['):text.index(']]') + 1]
    genes = body.split('], [')
    return [[(op, int(to), int(src)) for op, to, src in TRIPLE.findall(g)]
            for g in genes]


def test_every_reference_file_is_seen():
    assert len(DDARTS_FILES) == 16


@pytest.mark.parametrize('path', DDARTS_FILES, ids=osp.basename)
def test_ddarts_files(path):
    text = open(path).read()
    expected = _count_from_text(text)
    reductions = [int(r) for r in re.findall(
        r'reductions=\[([\d, ]+)\]', text)[0].split(',')] \
        if 'reductions=[' in text else list(range(
            *map(int, re.findall(r'reductions=range\((\d+), (\d+)\)',
                                 text)[0])))
    if osp.basename(path) == BROKEN:
        with pytest.raises(GenotypeError, match=r'gene 12.*no incoming edge'):
            load_genotype(path)
        with pytest.raises(GenotypeError, match='gene 12: no edge is '
                           'connected to the cell inputs'):
            parse_legacy_genotype(text, source=path, dangling='prune')
        return
    g = load_genotype(path)
    assert len(g.genes) == len(expected)
    assert [len(gene) for gene in g.genes] == [len(e) for e in expected]
    assert [list(gene) for gene in g.genes] == expected  # order kept
    assert g.seq == tuple(range(len(expected)))
    assert list(g.reductions) == reductions
    max_to = max(to for gene in expected for _, to, _ in gene)
    assert g.steps == max(4, max_to - 1)
    ops = {op for gene in expected for op, _, _ in gene}
    extended_only = {'conv_3x1_1x3', 'conv_7x1_1x7', 'simple_conv_1x1',
                     'simple_conv_3x3', 'bottleneck_1x3x1'}
    assert g.op_set == ('extended' if ops & extended_only else 'darts')
    concat = re.findall(r'concat=range\((\d+), (\d+)\)', text)[0]
    assert g.meta['legacy_concat'] == list(range(*map(int, concat)))
    assert g.meta['legacy_format'] == 'Genotype_nested'


def test_darts_tsv_counts():
    table = read_genotype_table(TSV)
    assert sorted(table) == ['DARTS_V1', 'DARTS_V2']
    for name, g in load_genotype_table(TSV).items():
        text = table[name]
        normal = text[:text.index('normal_concat')]
        reduce = text[text.index('reduce='):text.index('reduce_concat')]
        assert len(g.genes[0]) == len(PAIR.findall(normal)) == 8
        assert len(g.genes[1]) == len(PAIR.findall(reduce)) == 8
        assert g.meta['source_name'] == name


def test_darts_v2_exact_edges():
    # DARTS_V2 of the DARTS paper, converted by hand: pair k -> node 2 + k//2
    g = load_genotype_table(TSV)['DARTS_V2']
    assert g.genes[0] == (
        Edge('sep_conv_3x3', 2, 0), Edge('sep_conv_3x3', 2, 1),
        Edge('sep_conv_3x3', 3, 0), Edge('sep_conv_3x3', 3, 1),
        Edge('sep_conv_3x3', 4, 1), Edge('skip_connect', 4, 0),
        Edge('skip_connect', 5, 0), Edge('dil_conv_3x3', 5, 2))
    assert g.genes[1] == (
        Edge('max_pool_3x3', 2, 0), Edge('max_pool_3x3', 2, 1),
        Edge('skip_connect', 3, 2), Edge('max_pool_3x3', 3, 1),
        Edge('max_pool_3x3', 4, 0), Edge('skip_connect', 4, 2),
        Edge('skip_connect', 5, 2), Edge('max_pool_3x3', 5, 1))
    assert g.seq == (0, 0, 1, 0, 0, 1, 0, 0)
    assert g.reductions == (2, 5)
    assert g.steps == 4 and g.op_set == 'darts'
    # concat [2, 3, 4, 5] is what every node with ops gives: not kept
    assert 'normal_concat' not in g.meta and 'reduce_concat' not in g.meta


DARTS_TEXT = ("Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 1), "
              "('sep_conv_5x5', 2), ('max_pool_3x3', 0)], "
              "normal_concat=range(2, 4), reduce=[('max_pool_3x3', 0), "
              "('avg_pool_3x3', 1)], reduce_concat=[2, 3])")


def test_darts_num_cells_and_concat():
    g = parse_legacy_genotype(DARTS_TEXT, num_cells=14)
    assert g.reductions == (4, 9)
    assert g.seq == tuple(1 if c in (4, 9) else 0 for c in range(14))
    assert g.genes[1] == (Edge('max_pool_3x3', 2, 0),
                          Edge('avg_pool_3x3', 2, 1))
    # reduce_concat lists node 3, which has no op: kept in meta
    assert g.meta['reduce_concat'] == [2, 3]
    assert 'normal_concat' not in g.meta
    assert g.steps == 4  # at least DARTS' 4 even with fewer nodes used


def test_positional_fields_and_opt():
    text = ("Genotype_opt([[('simple_conv_3x3', 2, 0), "
            "('skip_connect', 3, 0), ('simple_conv_3x3', 3, 2)]], "
            "[0]*3 + [0], range(2, 4), reductions=range(1, 4))")
    g = parse_legacy_genotype(text)
    assert g.seq == (0, 0, 0, 0) and g.reductions == (1, 2, 3)
    assert g.op_set == 'extended' and g.meta['legacy_concat'] == [2, 3]
    nested = parse_legacy_genotype(
        "Genotype_nested([[('sep_conv_3x3', 2, 0)], [('skip_connect', 2, 1)]"
        ", [('max_pool_3x3', 2, 0)]], range(2, 6), [1])", steps=5)
    assert nested.seq == (0, 1, 2) and nested.reductions == (1,)
    assert nested.steps == 5


def test_prune_dangling_records_edges():
    text = ("Genotype_nested(genes=[[('sep_conv_3x3', 2, 0), "
            "('skip_connect', 4, 3), ('max_pool_3x3', 5, 4)]], "
            "concat=range(2, 6), reductions=[])")
    with pytest.raises(GenotypeError, match='reads node 3'):
        parse_legacy_genotype(text, source='x.txt')
    g = parse_legacy_genotype(text, source='x.txt', dangling='prune')
    assert g.genes == ((Edge('sep_conv_3x3', 2, 0),),)
    assert g.meta['pruned_dangling_edges'] == [
        [0, 'skip_connect', 4, 3], [0, 'max_pool_3x3', 5, 4]]


def test_malicious_call_is_not_executed(tmp_path):
    marker = tmp_path / 'pwned'
    text = ("Genotype_nested(genes=__import__('os').system('touch "
            f"{marker}'), concat=range(2, 6), reductions=[2, 5])")
    with pytest.raises(GenotypeError, match=r"call .*__import__.* is not "
                       'allowed'):
        parse_legacy_genotype(text, source='evil.txt')
    assert not marker.exists()
    path = tmp_path / 'evil.txt'
    path.write_text(f"__import__('os').system('touch {marker}')")
    with pytest.raises(GenotypeError, match='evil.txt: expected a call like '
                       'Genotype'):
        load_genotype(str(path))
    assert not marker.exists()


BAD_LEGACY = [
    ("Foo(genes=[[('sep_conv_3x3', 2, 0)]], reductions=[])",
     "unknown constructor 'Foo'"),
    ("Genotype_nested(genes=PRIMS, reductions=[])",
     "'PRIMS' is not a literal"),
    ("Genotype_nested(genes=[[('sep_conv_3x3', 2, 0)]], reductions=[], "
     "concat=(lambda: 1)())", 'is not allowed'),
    ("Genotype_nested(genes=[[('sep_conv_3x3', 2, 0)]], reductions=[], "
     "concat=[i for i in range(3)])", 'is not a literal'),
    ("Genotype_nested(genes=[[('sep_conv_3x3', 2, 0)]], reductions=[], "
     "concat=os.path)", 'is not a literal'),
    ("Genotype_nested(genes=[[('sep_conv_3x3', 2)]], reductions=[])",
     'gene 0, edge 0 must be an (op, to, from) triple'),
    ("Genotype(normal=[('sep_conv_3x3', 0, 1)], reduce=[])",
     "normal[0] must be an (op, from) pair"),
    ("Genotype_nested(genes=[[('sep_conv_3x3', 2, 0)]])",
     "misses field(s) ['reductions']"),
    ("Genotype_nested(genes=[[('sep_conv_3x3', 2, 0)]], reductions=[], "
     "colour='red')", "unknown field 'colour'"),
    ("Genotype_nested(genes=[[('conv_9x9', 2, 0)]], reductions=[])",
     "unknown op(s) ['conv_9x9']"),
    ("Genotype_nested(genes=[[('none', 2, 0)]], reductions=[])",
     "'none' is a search-only op"),
    ("Genotype_nested(genes=[[('sep_conv_3x3', 2, 0)]], reductions=[3])",
     'reduction cell 3 out of range'),
    ("Genotype_nested(genes=[[('sep_conv_3x3', 2, 0)]], reductions=[0]*10**9)",
     "'10 ** 9' is not a literal"),
    ("Genotype_nested(genes=[[('sep_conv_3x3', 2, 0)]], reductions=[0] + 1)",
     'only list + list and list * int'),
    ("Genotype_nested(genes=[[('sep_conv_3x3', 2, 0)]], "
     "reductions=[0]*100000)",
     'list too long'),
    ("Genotype_nested(genes=[[('sep_conv_3x3', 2, 0)]], "
     "reductions=range(1e9))",
     'unsupported constant'),
    ("Genotype_nested(genes=[[('sep_conv_3x3', 2, 0)]], reductions=[2, 5]",
     'not a valid genotype expression'),
    ("Genotype_opt([[('sep_conv_3x3', 2, 0)]], seq='00', concat=[2], "
     "reductions=[])", 'seq must be a list of integers'),
]


@pytest.mark.parametrize('text,message', BAD_LEGACY,
                         ids=[m for _, m in BAD_LEGACY])
def test_bad_legacy(text, message):
    with pytest.raises(GenotypeError) as err:
        parse_legacy_genotype(text, source='my_genotype.txt')
    msg = str(err.value)
    assert msg.startswith('my_genotype.txt'), msg
    assert message in msg


def test_tsv_reader_errors(tmp_path):
    path = tmp_path / 'g.tsv'
    path.write_text('# comment\n\nA\t' + DARTS_TEXT + '\nB no tab here\n')
    with pytest.raises(GenotypeError, match=r'g\.tsv:4: expected name<TAB>'):
        read_genotype_table(str(path))
    path.write_text(f'A\t{DARTS_TEXT}\nA\t{DARTS_TEXT}\n')
    with pytest.raises(GenotypeError, match="g.tsv:2: duplicated name 'A'"):
        read_genotype_table(str(path))
    path.write_text(f'A\t{DARTS_TEXT}\n')
    g = load_genotype_table(str(path), num_cells=5)['A']
    assert g.reductions == (1, 3) and g.meta['source_file'] == 'g.tsv'


def test_load_passes_legacy_options(tmp_path):
    path = tmp_path / 'darts.txt'
    path.write_text(DARTS_TEXT + '\n')
    assert load_genotype(str(path), num_cells=20).reductions == (6, 13)
    json_path = tmp_path / 'g.json'
    load_genotype(str(path)).save(str(json_path))
    with pytest.raises(TypeError, match='only apply to legacy'):
        load_genotype(str(json_path), num_cells=20)
