"""Architecture distance (paper section 4.5) against hand computations, a naive
loop implementation and the metric axioms; plus the arch_distance CLI."""
import csv
import io
import itertools
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from mmddarts.structures.distance import (OpScores, cell_distance,
                                          cell_distances, cell_rows,
                                          distance_matrix, edge_distances,
                                          genotype_distance)
from mmddarts.structures.genotype import Genotype
from mmddarts.structures.op_sets import EXTENDED_OPS
from mmddarts.testing.op_scores import MEAN_OP_SCORES

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# the authors' op_stats.json, shipped with the tests (tests/data/reference)
REF_SCORES = osp.join(REPO, 'tests', 'data', 'reference', 'd-darts',
                      'op_stats.json')

# The authors' op_stats.json: per-op MEANS over the proxy's edges (the
# default table; the paper's Table 1 reports the medians, see
# test_distance_tables.py), written out by hand in mmddarts.testing so the
# expected values do not come from the code under test.
SCORES = MEAN_OP_SCORES
W = sum(SCORES.values())

RESNET18_GENE = [('simple_conv_3x3', 2, 0), ('simple_conv_3x3', 3, 2),
                 ('skip_connect', 3, 0), ('simple_conv_3x3', 4, 3),
                 ('simple_conv_3x3', 5, 4), ('skip_connect', 5, 3)]


def geno(genes, seq=None, steps=4, reductions=(), op_set='extended'):
    seq = list(range(len(genes))) if seq is None else seq
    return Genotype(genes=genes, seq=seq, reductions=list(reductions),
                    steps=steps, op_set=op_set)


def swap(gene, old_edge, new_op):
    return [(new_op, to, src) if (op, to, src) == old_edge else (op, to, src)
            for op, to, src in gene]


# ----------------------------------------------------------- naive reference
def naive_rows(gene, steps):
    """Dict edge -> set of ops, every possible edge present."""
    rows = {(to, src): set() for to in range(2, steps + 2)
            for src in range(to)}
    for op, to, src in gene:
        rows[(to, src)].add(op)
    return list(rows.values())


def naive_hamming(u, v, scores):
    return sum(w for op, w in scores.items()
               if (op in u) != (op in v)) / sum(scores.values())


def naive_directed(rows_a, rows_b, scores):
    worst = 0.0
    for a in rows_a:
        best = min(naive_hamming(a, b, scores) for b in rows_b)
        worst = max(worst, best)
    return worst


def naive_network(ga, gb, scores):
    total = 0.0
    for i in range(ga.num_cells):
        ra = naive_rows(ga.gene(i), ga.steps)
        rb = naive_rows(gb.gene(i), gb.steps)
        total += max(naive_directed(ra, rb, scores),
                     naive_directed(rb, ra, scores))
    return total / ga.num_cells


def random_gene(rng, steps, ops=EXTENDED_OPS):
    gene = []
    for to in range(2, steps + 2):
        # every node fed (so later nodes may read it), 1-3 edges, each edge
        # with 1 or 2 ops
        for src in rng.choice(to, size=rng.integers(1, min(to, 3) + 1),
                              replace=False):
            for op in rng.choice(len(ops), size=rng.integers(1, 3),
                                 replace=False):
                gene.append((ops[op], to, int(src)))
    return gene


def random_genotype(rng, num_cells=3, steps=None):
    steps = int(rng.choice([2, 4, 6])) if steps is None else steps
    genes = [random_gene(rng, steps) for _ in range(num_cells)]
    return geno(genes, steps=steps)


# --------------------------------------------------------------------- tests
def test_packaged_scores_match_reference():
    scores = OpScores.load()
    assert set(scores.names) == set(SCORES) == set(EXTENDED_OPS)
    for op, w in zip(scores.names, scores.weights):
        assert w == SCORES[op]
    with open(REF_SCORES) as f:
        assert json.load(f) == SCORES


def test_cell_rows_shape_and_columns():
    rows = cell_rows(RESNET18_GENE, 4, EXTENDED_OPS)
    assert rows.shape == (14, 12)
    assert cell_rows([('skip_connect', 7, 6)], 6, EXTENDED_OPS).shape == \
        (27, 12)
    # edge numbering: node 2 <- 0,1 (0, 1), node 3 <- 0,1,2 (2, 3, 4), ...
    sc3 = EXTENDED_OPS.index('simple_conv_3x3')
    skip = EXTENDED_OPS.index('skip_connect')
    expected = np.zeros((14, 12))
    expected[0, sc3] = 1   # 2 <- 0
    expected[4, sc3] = 1   # 3 <- 2
    expected[2, skip] = 1  # 3 <- 0
    expected[8, sc3] = 1   # 4 <- 3
    expected[13, sc3] = 1  # 5 <- 4
    expected[12, skip] = 1  # 5 <- 3
    np.testing.assert_array_equal(rows, expected)
    with pytest.raises(ValueError, match='not an edge'):
        cell_rows([('skip_connect', 6, 0)], 4, EXTENDED_OPS)
    with pytest.raises(ValueError, match="'foo'"):
        cell_rows([('foo', 2, 0)], 4, EXTENDED_OPS)


def test_edge_distance_is_weighted_hamming():
    u = np.zeros((1, 12))
    v = np.zeros((1, 12))
    u[0, EXTENDED_OPS.index('sep_conv_3x3')] = 1
    u[0, EXTENDED_OPS.index('skip_connect')] = 1
    v[0, EXTENDED_OPS.index('skip_connect')] = 1
    v[0, EXTENDED_OPS.index('dil_conv_5x5')] = 1
    w = np.array([SCORES[op] for op in EXTENDED_OPS])
    d = edge_distances(u, v, w)
    expected = (SCORES['sep_conv_3x3'] + SCORES['dil_conv_5x5']) / W
    assert d.shape == (1, 1)
    assert d[0, 0] == pytest.approx(expected, abs=1e-15)


def test_one_op_changed_on_one_edge_steps1():
    # rows A = {sep3, 0}, B = {sep5, 0}: h(A,B) = w_sep3 / W (sep3 is closest
    # to the empty row), h(B,A) = w_sep5 / W
    a = [('sep_conv_3x3', 2, 0)]
    b = [('sep_conv_5x5', 2, 0)]
    expected = max(SCORES['sep_conv_3x3'], SCORES['sep_conv_5x5']) / W
    assert cell_distance(a, b, steps_a=1) == pytest.approx(expected, 1e-12)
    assert genotype_distance(geno([a], steps=1), geno([b], steps=1)) == \
        pytest.approx(expected, 1e-12)


def test_one_op_changed_resnet18_cell():
    # skip 3<-0 -> max_pool: B's rows = A's rows + {max_pool}; so h(A,B) = 0
    # and h(B,A) = d(max_pool, empty row) = w_max_pool / W, on all 4 cells.
    changed = swap(RESNET18_GENE, ('skip_connect', 3, 0), 'max_pool_3x3')
    a = geno([RESNET18_GENE], seq=[0] * 4, reductions=[1, 2, 3])
    b = geno([changed], seq=[0] * 4, reductions=[1, 2, 3])
    expected = SCORES['max_pool_3x3'] / W
    assert genotype_distance(a, b) == pytest.approx(expected, abs=1e-12)
    # both skips -> max_pool: the skip row is now unmatched too;
    # max(w_skip, w_max_pool) / W
    both = swap(changed, ('skip_connect', 5, 3), 'max_pool_3x3')
    c = geno([both], seq=[0] * 4, reductions=[1, 2, 3])
    expected = max(SCORES['skip_connect'], SCORES['max_pool_3x3']) / W
    assert genotype_distance(a, c) == pytest.approx(expected, abs=1e-12)
    # only one of four cells changed: a quarter of the distance
    d = geno([RESNET18_GENE, both], seq=[0, 0, 1, 0], reductions=[1, 2, 3])
    np.testing.assert_allclose(cell_distances(a, d),
                               [0, 0, expected, 0], atol=1e-12)
    assert genotype_distance(a, d) == pytest.approx(expected / 4, 1e-12)


def test_resnet18_vs_resnet50_matches_paper():
    # The authors' distances.csv (Fig. 9 of the paper): 0.084. By hand: the
    # worst row is ResNet50's bottleneck+skip edge, closest to a skip-only
    # edge: w_bottleneck / W in all four cells.
    from mmddarts.structures.baselines import get_baseline
    r18, r50 = get_baseline('resnet18'), get_baseline('resnet50')
    d = genotype_distance(r18, r50)
    assert d == pytest.approx(SCORES['bottleneck_1x3x1'] / W, abs=1e-12)
    assert round(d, 3) == 0.084


def test_darts_op_set_maps_to_same_columns():
    gene = [('sep_conv_3x3', 2, 0), ('skip_connect', 2, 1),
            ('max_pool_3x3', 3, 2)]
    a = geno([gene], op_set='darts')
    b = geno([gene], op_set='extended')
    assert genotype_distance(a, b) == 0.0
    c = geno([swap(gene, ('max_pool_3x3', 3, 2), 'bottleneck_1x3x1')])
    assert genotype_distance(a, c) == pytest.approx(
        max(SCORES['max_pool_3x3'], SCORES['bottleneck_1x3x1']) / W, 1e-12)


def test_scores_replaceable_by_dict_and_path(tmp_path):
    uniform = {op: 1.0 for op in EXTENDED_OPS}
    a = geno([[('sep_conv_3x3', 2, 0)]], steps=1)
    b = geno([[('sep_conv_5x5', 2, 0)]], steps=1)
    # plain Hamming over 12 ops: one differing bit on each side -> 1/12
    assert genotype_distance(a, b, scores=uniform) == pytest.approx(1 / 12)
    path = tmp_path / 'scores.json'
    path.write_text(json.dumps(dict(uniform, sep_conv_5x5=10.0)))
    # max(h) = d(sep5 row, empty row) = 10 / 21
    assert genotype_distance(a, b, scores=str(path)) == \
        pytest.approx(10 / 21)
    with pytest.raises(ValueError, match="'sep_conv_5x5'.*no score|columns"):
        genotype_distance(a, b, scores={'sep_conv_3x3': 1.0})
    with pytest.raises(ValueError, match='positive'):
        OpScores({'skip_connect': -1.0})
    with pytest.raises(FileNotFoundError):
        OpScores.load(str(tmp_path / 'missing.json'))


@pytest.mark.parametrize('seed', range(4))
def test_vectorised_equals_naive_loop(seed):
    rng = np.random.default_rng(seed)
    for _ in range(5):
        steps_a = int(rng.choice([1, 2, 4, 6]))
        steps_b = int(rng.choice([1, 2, 4, 6]))
        a = random_genotype(rng, num_cells=2, steps=steps_a)
        b = random_genotype(rng, num_cells=2, steps=steps_b)
        assert genotype_distance(a, b) == pytest.approx(
            naive_network(a, b, SCORES), abs=1e-12)


def test_metric_axioms_on_random_triples():
    rng = np.random.default_rng(0)
    genos = [random_genotype(rng, num_cells=3) for _ in range(30)]
    mat = distance_matrix(genos)
    assert np.all(np.diag(mat) == 0)
    np.testing.assert_array_equal(mat, mat.T)
    assert mat.min() >= 0 and mat.max() <= 1
    off_diag = mat[~np.eye(len(genos), dtype=bool)]
    assert off_diag.min() > 0  # random nets: all distinct row sets
    triples = [tuple(rng.choice(len(genos), 3, replace=False))
               for _ in range(50)]
    for i, j, k in triples:
        assert mat[i, k] <= mat[i, j] + mat[j, k] + 1e-12
    # the matrix equals the pairwise function
    assert mat[3, 7] == genotype_distance(genos[3], genos[7])
    assert genotype_distance(genos[5], genos[5]) == 0.0


def test_pseudo_metric_rows_forget_edges():
    # same op set per edge, wired differently: distance 0 (documented)
    a = geno([[('sep_conv_3x3', 2, 0), ('skip_connect', 3, 2)]], steps=2)
    b = geno([[('sep_conv_3x3', 2, 1), ('skip_connect', 3, 0)]], steps=2)
    assert a != b
    assert genotype_distance(a, b) == 0.0


def test_unequal_depth_padding():
    a = geno([[('sep_conv_3x3', 2, 0), ('skip_connect', 2, 1)]], steps=1)
    extra = [('dil_conv_5x5', 2, 0), ('max_pool_3x3', 2, 0)]
    b = geno([a.genes[0], extra], steps=1)
    # cell 1 of b against the empty cell: its heaviest row / W, averaged
    # over the 2 positions
    expected = (SCORES['dil_conv_5x5'] + SCORES['max_pool_3x3']) / W / 2
    assert genotype_distance(a, b) == pytest.approx(expected, 1e-12)
    assert genotype_distance(b, a) == pytest.approx(expected, 1e-12)
    # a common depth for the whole set keeps the triangle inequality
    c = geno([[('dil_conv_5x5', 2, 0)]] * 5, steps=1)
    genos = [a, b, c]
    mat = distance_matrix(genos, common_depth=True)
    for i, j, k in itertools.permutations(range(3), 3):
        assert mat[i, k] <= mat[i, j] + mat[j, k] + 1e-12
    assert mat[0, 1] == pytest.approx(expected * 2 / 5, 1e-12)
    with pytest.raises(ValueError, match='smaller'):
        genotype_distance(a, c, num_cells=2)


def test_expand_alignment():
    from mmddarts.structures.expand import expand_genotype
    rng = np.random.default_rng(1)
    genes = [random_gene(rng, 4) for _ in range(8)]
    small = geno(genes, reductions=[2, 5])
    big = expand_genotype(small, 14)
    assert big.num_cells == 14
    assert genotype_distance(small, big, align='expand') == 0.0
    assert genotype_distance(small, big, align='pad') > 0.0
    with pytest.raises(ValueError, match='align'):
        genotype_distance(small, big, align='zip')


def test_paths_and_legacy_files(tmp_path):
    from mmddarts.structures.baselines import get_baseline
    r18 = get_baseline('resnet18')
    r18.save(str(tmp_path / 'r18.json'))
    assert genotype_distance(str(tmp_path / 'r18.json'), r18) == 0.0
    # a legacy D-DARTS text file (the released DO-ResNet18 CIFAR-10 cell)
    gene = [('bottleneck_1x3x1', 2, 1), ('simple_conv_3x3', 2, 0),
            ('bottleneck_1x3x1', 3, 2), ('max_pool_3x3', 3, 1),
            ('bottleneck_1x3x1', 4, 3), ('conv_7x1_1x7', 4, 2),
            ('conv_3x1_1x3', 5, 4), ('bottleneck_1x3x1', 5, 3)]
    legacy = tmp_path / 'do_resnet18.txt'
    legacy.write_text(f'Genotype_nested(genes={[gene] * 4!r}, '
                      'concat=range(2, 6), reductions=range(1, 4))\n')
    same = geno([gene] * 4, reductions=[1, 2, 3])
    d = genotype_distance(r18, str(legacy))
    assert d == genotype_distance(r18, same)
    assert d == genotype_distance(str(tmp_path / 'r18.json'), str(legacy))
    assert 0 < d < 1


# ------------------------------------------------------------------- the CLI
def run_cli(*args):
    return subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'analysis_tools',
                                  'arch_distance.py'), *args],
        capture_output=True, text=True, cwd=REPO, timeout=120,
        env=dict(os.environ, PYTHONPATH=REPO))


@pytest.fixture
def genotype_files(tmp_path):
    base = [('sep_conv_3x3', 2, 0), ('skip_connect', 2, 1)]
    files = []
    for name, gene in [('a', base),
                       ('b', swap(base, ('skip_connect', 2, 1),
                                  'max_pool_3x3')),
                       ('c', [('dil_conv_5x5', 2, 0)])]:
        path = tmp_path / f'{name}.json'
        geno([gene], steps=1).save(str(path))
        files.append(str(path))
    return files


def test_cli_two_files_prints_distance(genotype_files):
    res = run_cli(*genotype_files[:2])
    assert res.returncode == 0, res.stderr
    # steps=1 and both edges used: no empty row, so the skip row's nearest
    # row is max_pool (w_max_pool < w_sep3): (w_skip + w_max_pool) / W
    expected = (SCORES['skip_connect'] + SCORES['max_pool_3x3']) / W
    assert float(res.stdout.strip().split()[-1]) == pytest.approx(
        expected, abs=1e-6)


def test_cli_matrix_csv_and_heatmap(genotype_files, tmp_path):
    res = run_cli(*genotype_files)
    assert res.returncode == 0, res.stderr
    rows = list(csv.reader(io.StringIO(res.stdout)))
    assert rows[0] == ['', 'a', 'b', 'c']
    assert [r[0] for r in rows[1:]] == ['a', 'b', 'c']
    mat = np.array([[float(x) for x in r[1:]] for r in rows[1:]])
    np.testing.assert_allclose(mat, distance_matrix(genotype_files),
                               atol=1e-6)
    out_csv, out_png = tmp_path / 'm.csv', tmp_path / 'm.png'
    res = run_cli(*genotype_files, '--csv', str(out_csv), '--heatmap',
                  str(out_png))
    assert res.returncode == 0, res.stderr
    with out_csv.open() as f:
        assert next(csv.reader(f)) == ['', 'a', 'b', 'c']
    assert out_png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_cli_bad_file_names_it(genotype_files, tmp_path):
    bad = tmp_path / 'bad.json'
    bad.write_text('{"format": "mmddarts.genotype", "version": 1, '
                   '"op_set": "darts", "steps": 4, '
                   '"genes": [[["nope", 2, 0]]], "seq": [0], '
                   '"reductions": []}')
    res = run_cli(genotype_files[0], str(bad))
    assert res.returncode != 0
    assert 'bad.json' in res.stderr and 'nope' in res.stderr
    # a valid genotype whose op has no score: the error names the file
    scores = tmp_path / 'few.json'
    scores.write_text(json.dumps({'sep_conv_3x3': 1.0, 'skip_connect': 1.0}))
    res = run_cli(*genotype_files[:2], '--scores', str(scores))
    assert res.returncode != 0
    assert 'b.json' in res.stderr and "'max_pool_3x3'" in res.stderr
