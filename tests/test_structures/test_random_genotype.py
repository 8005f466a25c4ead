"""Random genotypes: valid for their parse method, uniform, reproducible."""
import itertools
import json
import math
from collections import Counter

import numpy as np
import pytest

from mmddarts.structures.parsing import edge_index, num_edges, parse_gene
from mmddarts.structures.random_genotype import sample_gene, sample_genotype
from mmddarts.structures import DARTS_OPS, Genotype
from mmddarts.structures.loading import load_genotype


def weights_for(gene, ops, steps, method):
    """Weights whose parse is ``gene``: kept ops above T=0.85, everything
    else at 0.1 (below T: the edges parsing must drop)."""
    W = np.full((num_edges(steps), len(ops)), 0.1)
    seen = Counter()
    for op, to, src in gene:
        row = edge_index(to, src)
        # a second op on the same edge ranks second, as listed
        W[row, ops.index(op)] = 0.95 - 0.05 * seen[row]
        seen[row] += 1
    return W


@pytest.mark.parametrize('method', ['darts', 'sparse', 'edge'])
@pytest.mark.parametrize('steps', [1, 2, 4])
def test_every_sample_is_a_gene_its_parse_returns(method, steps):
    ops = list(DARTS_OPS)
    rng = np.random.default_rng(0)
    for _ in range(200):
        gene = sample_gene(rng, ops, steps, method)
        parsed, fallback = parse_gene(
            weights_for(gene, ops, steps, method), ops, steps, method, 0.85)
        assert fallback is None
        assert parsed == gene
        if method == 'darts':  # exactly two distinct sources per node
            for to in range(2, steps + 2):
                srcs = [s for _, t, s in gene if t == to]
                assert len(srcs) == 2 == len(set(srcs))


def test_none_is_never_sampled():
    rng = np.random.default_rng(0)
    ops = ['none', 'skip_connect']
    for method in ('darts', 'sparse', 'edge'):
        for _ in range(50):
            assert {op for op, _, _ in sample_gene(rng, ops, 2, method)} == \
                {'skip_connect'}


def _all_genes(method, ops, steps):
    """Every gene ``method`` can return, enumerated by brute force: every
    per-node (darts / sparse) or per-edge (edge) choice, kept when no edge
    reads an unfed node and the gene is not empty."""
    K = len(ops)
    choices = []
    for to in range(2, steps + 2):
        if method == 'edge':
            for src in range(to):
                per = [()] + [((ops[k], to, src), ) for k in range(K)] + [
                    ((ops[a], to, src), (ops[b], to, src))
                    for a, b in itertools.combinations(range(K), 2)]
                choices.append(per)
            continue
        sizes = [2] if method == 'darts' else [0, 1, 2]
        per = []
        for n in sizes:
            for srcs in itertools.combinations(range(to), n):
                for ks in itertools.product(range(K), repeat=n):
                    per.append(tuple((ops[k], to, s)
                                     for k, s in zip(ks, srcs)))
        choices.append(per)
    genes = set()
    for combo in itertools.product(*choices):
        gene = tuple(e for part in combo for e in part)
        fed = {to for _, to, _ in gene}
        if gene and all(s < 2 or s in fed for _, _, s in gene):
            genes.add(gene)
    return genes


def _chi2_critical(df, z=3.09):
    """Upper 0.1 % point of chi-square (Wilson-Hilferty approximation)."""
    return df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df)))**3


# (method, ops, steps, size of the space counted by hand)
SMALL_SPACES = [
    # node 2: 1 source pair x 2x2 ops; node 3: 3 pairs x 4 -> 4 * 12
    ('darts', ['max_pool_3x3', 'skip_connect'], 2, 48),
    # node 2: 1 + 2*2 + 4 = 9; node 3: 1 + 3*2 + 3*4 = 19; 171 minus the
    # 10 with node 2 empty and node 3 reading it, minus the empty gene
    ('sparse', ['max_pool_3x3', 'skip_connect'], 2, 160),
    # 2 edges, each none / 3 singles / 3 pairs: 7 * 7 - empty
    ('edge', ['max_pool_3x3', 'skip_connect', 'sep_conv_3x3'], 1, 48),
    # 5 edges on/off: 32 minus 4 (node 2 empty, edge 3<-2 on) minus empty
    ('edge', ['skip_connect'], 2, 27),
]


@pytest.mark.parametrize('method,ops,steps,size', SMALL_SPACES)
def test_sampling_is_uniform_on_a_small_space(method, ops, steps, size):
    space = _all_genes(method, ops, steps)
    assert len(space) == size
    per_gene = 60
    n = per_gene * size
    rng = np.random.default_rng(123)
    counts = Counter(tuple(sample_gene(rng, ops, steps, method))
                     for _ in range(n))
    assert set(counts) == space  # every gene reachable, nothing else
    chi2 = sum((counts[g] - per_gene)**2 / per_gene for g in space)
    assert chi2 < _chi2_critical(size - 1), (chi2, size)


def test_chi_square_detects_a_biased_sampler():
    # the statistic above is able to fail: a sampler preferring source 0
    # for sparse's single edges is rejected
    method, ops, steps, size = SMALL_SPACES[1]
    space = sorted(_all_genes(method, ops, steps))
    weights = np.array([3. if len(g) == 1 and g[0][2] == 0 else 1.
                        for g in space])
    rng = np.random.default_rng(0)
    per_gene = 60
    draws = rng.choice(len(space), per_gene * size, p=weights / weights.sum())
    counts = np.bincount(draws, minlength=size)
    chi2 = float(((counts - per_gene)**2 / per_gene).sum())
    assert chi2 > _chi2_critical(size - 1)


@pytest.mark.parametrize('shared', [False, True])
def test_genotype_layout_and_reproducibility(shared):
    g = sample_genotype(num_cells=5, steps=3, method='sparse', shared=shared,
                        seed=7)
    assert g.num_cells == 5 and g.steps == 3 and g.op_set == 'darts'
    assert g.reductions == (1, 3)
    if shared:
        assert len(g.genes) == 2 and g.seq == (0, 1, 0, 1, 0)
    else:
        assert len(g.genes) == 5 and g.seq == tuple(range(5))
    assert g.meta['source'] == 'random' and g.meta['seed'] == 7
    again = sample_genotype(num_cells=5, steps=3, method='sparse',
                            shared=shared, seed=7)
    assert again.to_json() == g.to_json()
    others = {sample_genotype(num_cells=5, steps=3, method='sparse',
                              shared=shared, seed=s).to_json()
              for s in range(8)}
    assert len(others) == 8
    # round trip through JSON
    assert Genotype.from_json(g.to_json()) == g


def test_bad_arguments():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match='parse method'):
        sample_gene(rng, DARTS_OPS, 2, 'argmax')
    with pytest.raises(ValueError, match='no op'):
        sample_gene(rng, ['none'], 2, 'darts')
    with pytest.raises(ValueError, match='op set'):
        sample_genotype(op_set='nope')


def test_tool_writes_loadable_genotypes(tmp_path):
    import importlib.util
    import os.path as osp
    path = osp.join(osp.dirname(__file__), '..', '..', 'tools',
                    'sample_genotype.py')
    spec = importlib.util.spec_from_file_location('sample_genotype', path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    main = tool.main
    assert main(['--num', '3', '--seed', '4', '--num-cells', '4', '--steps',
                 '2', '--method', 'edge', '--out-dir', str(tmp_path)]) == 0
    for seed in (4, 5, 6):
        path = tmp_path / f'random_{seed}.json'
        g = load_genotype(str(path))
        assert g == sample_genotype(num_cells=4, steps=2, method='edge',
                                    seed=seed)
        assert json.loads(path.read_text())['meta']['seed'] == seed
