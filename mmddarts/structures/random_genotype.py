"""Random architectures: the baseline every search is measured against.

Samples genotypes uniformly from the set of genes a parse method can return
(:mod:`mmddarts.structures.parsing`), over the same op set (``'none'`` never):

==========  =====================================================
method      gene
==========  =====================================================
``darts``   every intermediate node: 2 distinct source nodes, one
            op each
``sparse``  every node: 0, 1 or 2 distinct source nodes, one op
            each; no edge reads a node without incoming edges
            (parsing prunes those); at least one edge
``edge``    every (node, source) edge: no op, one op or two
            distinct ops; same feeding rule; at least one edge
==========  =====================================================

Uniform means every such gene is equally likely. ``darts`` genes are drawn
directly. For ``sparse`` / ``edge`` each node (edge) draws uniformly among
its local choices and a gene breaking the feeding rule (or empty) is drawn
again: rejection keeps the distribution uniform over the valid genes, and
the rejection rate is small (< 2 % for 4 nodes and 7 ops).

Edges are listed as parsing lists them: node by node, by source node; two
ops on one ``edge`` edge in op-set order (parsing orders them by weight, an
order that has no meaning for a random gene). Torch-free.
"""
import itertools
from math import comb

import numpy as np

from .genotype import Edge, Genotype, default_reductions
from .op_sets import NONE_OP, get_op_names
from .parsing import PARSE_METHODS, prune_unfed

MAX_TRIES = 100000


def _valid(edges):
    return bool(edges) and len(prune_unfed(edges)) == len(edges)


def _darts_gene(rng, ops, steps):
    edges = []
    for i in range(steps):
        to = i + 2
        for src in sorted(int(s) for s in rng.choice(to, 2, replace=False)):
            edges.append(Edge(ops[int(rng.integers(len(ops)))], to, src))
    return edges


def _sparse_node(rng, ops, to):
    """One of the ``1 + to*K + C(to,2)*K^2`` choices of a node, uniformly."""
    K = len(ops)
    singles, pairs = to * K, comb(to, 2) * K * K
    r = int(rng.integers(1 + singles + pairs))
    if r == 0:
        return []
    if r <= singles:
        src, k = divmod(r - 1, K)
        return [Edge(ops[k], to, src)]
    r -= 1 + singles
    (a, b), (ka, kb) = list(itertools.combinations(range(to), 2))[
        r // (K * K)], divmod(r % (K * K), K)
    return [Edge(ops[ka], to, a), Edge(ops[kb], to, b)]


def _edge_choice(rng, ops, to, src):
    """No op, one op or an unordered pair of ops, uniformly."""
    K = len(ops)
    r = int(rng.integers(1 + K + comb(K, 2)))
    if r == 0:
        return []
    if r <= K:
        return [Edge(ops[r - 1], to, src)]
    ka, kb = list(itertools.combinations(range(K), 2))[r - 1 - K]
    return [Edge(ops[ka], to, src), Edge(ops[kb], to, src)]


def sample_gene(rng, op_names, steps=4, method='darts'):
    """One random gene (list of :class:`Edge`), uniform over the genes
    ``method`` can parse.

    Args:
        rng (numpy.random.Generator): the source of randomness.
        op_names (Sequence[str]): candidate ops (``'none'`` is dropped).
        steps (int): intermediate nodes.
        method (str): ``'darts'``, ``'sparse'`` or ``'edge'``.
    """
    if method not in PARSE_METHODS:
        raise ValueError(f'unknown parse method {method!r}; expected one of '
                         f'{PARSE_METHODS}')
    ops = [o for o in op_names if o != NONE_OP]
    if not ops:
        raise ValueError(f'no op to sample from in {list(op_names)}')
    if steps < 1:
        raise ValueError(f'steps must be >= 1, got {steps}')
    if method == 'darts':
        return _darts_gene(rng, ops, steps)
    for _ in range(MAX_TRIES):
        edges = []
        for i in range(steps):
            to = i + 2
            if method == 'sparse':
                edges += _sparse_node(rng, ops, to)
            else:
                for src in range(to):
                    edges += _edge_choice(rng, ops, to, src)
        if _valid(edges):
            return edges
    raise RuntimeError(f'no valid {method} gene in {MAX_TRIES} draws')


def sample_genotype(num_cells=8,
                    steps=4,
                    method='darts',
                    op_set='darts',
                    shared=False,
                    reductions=None,
                    seed=0):
    """A random genotype with the structure a search of that kind exports.

    Args:
        num_cells (int): cells of the network.
        steps (int): intermediate nodes per cell.
        method (str): the parse method whose genes are sampled.
        op_set (str): op-set name (:data:`mmddarts.structures.OP_SETS`).
        shared (bool): DARTS / FairDARTS layout: one normal and one
            reduction gene shared by all cells; otherwise (D-DARTS) one
            gene per cell.
        reductions (Sequence[int], optional): reduction cells (default
            ``N//3, 2N//3``).
        seed (int): seed of ``numpy.random.default_rng``; the same seed and
            arguments give the same genotype.
    """
    rng = np.random.default_rng(seed)
    ops = get_op_names(op_set)
    reductions = tuple(default_reductions(num_cells) if reductions is None
                       else reductions)
    if shared:
        genes = [sample_gene(rng, ops, steps, method) for _ in range(2)]
        seq = [1 if i in reductions else 0 for i in range(num_cells)]
    else:
        genes = [sample_gene(rng, ops, steps, method)
                 for _ in range(num_cells)]
        seq = list(range(num_cells))
    meta = dict(source='random', sampler='uniform', seed=seed,
                parse_method=method, shared=bool(shared))
    return Genotype(genes=genes, seq=seq, reductions=reductions, steps=steps,
                    op_set=op_set, meta=meta)
