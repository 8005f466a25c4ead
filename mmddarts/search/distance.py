"""Architecture distance of D-DARTS (paper section 4.5), vectorised with numpy.

From the bottom up:

* **edge row** -- an edge ``(to, from)`` of a cell as an op-presence 0/1
  vector over the ops of the score table (the 12 DARTOpti ops by default);
  an edge that carries no op is the all-zero row. A cell with ``steps`` nodes
  has ``k = 2 + 3 + ... + (steps + 1)`` possible edges (14 for 4 steps, 27 for
  6) and so ``k`` rows; which edge a row came from is ignored.
* **edge distance** -- weighted Hamming distance
  ``d(u, v) = sum_o w_o [u_o != v_o] / sum_o w_o`` with ``w_o`` the op's score
  (mean CIFAR-10 top-1 of the op in a 3-cell proxy, ``data/op_stats.json``).
* **cell distance** -- symmetric Hausdorff distance of the two row sets:
  ``max(h(A, B), h(B, A))`` with ``h(A, B) = max_a min_b d(a, b)``.
* **network distance** -- mean of the cell distances of the cells at the same
  position (``Genotype.gene(i)`` follows ``seq``, so shared genes count once
  per position they occupy).

Properties. Every distance lies in ``[0, 1]``, is symmetric and zero for
identical architectures. The Hausdorff distance of finite sets under a metric
is a metric on sets, so the cell and network distances satisfy the triangle
inequality; they are *pseudo*-metrics on architectures (the paper calls them
metrics): two cells whose row sets are equal but wired differently are at
distance 0, because rows forget their edge.

Networks of different depth (the paper only defines equal depths):

* ``align='pad'`` (default): the shorter network is padded with *empty cells*
  (a cell without any op, i.e. the single all-zero row) and the mean runs over
  ``max(N_A, N_B)`` positions. An extra cell thus costs its distance to an
  empty cell (the weight of its heaviest edge / total weight) divided by the
  depth. For equal depths this is exactly the paper's metric. Triangle
  inequality: it holds for any three networks of the same depth, and for any
  set once every network is padded to a common depth ``num_cells`` (pass
  ``num_cells=`` to :func:`genotype_distance`, or ``common_depth=True`` to
  :func:`distance_matrix`); with the per-pair depth ``max(N_A, N_B)`` it can
  fail (a 1-cell net compared with a 10-cell one is averaged over 10 cells,
  two 1-cell nets over 1).
* ``align='expand'``: both networks are first grown to the larger depth with
  Algorithm 1 (:func:`mmddarts.search.expand.expand_genotype`), the way
  D-DARTS itself turns an 8-cell search result into a 14-cell network; a
  genotype is then at distance 0 from its own expansion. Only meaningful for
  genotypes that Algorithm 1 can grow (searched D-DARTS cells).

The reference code (``architecture_processing.py``) zips ``genes`` instead of
cell positions (so a shared-gene ResNet18 is compared by its single gene) and
counts an unmatched cell as distance 1.0; for networks whose genes are used
once each (D-DARTS) and equal depths, both agree with this module.
"""
import json
import math
import os.path as osp
from functools import lru_cache

import numpy as np

from mmddarts.structures.genotype import Genotype
from mmddarts.structures.op_sets import EXTENDED_OPS

DEFAULT_SCORES_PATH = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))), 'data', 'op_stats.json')
ALIGN_MODES = ('pad', 'expand')


class OpScores:
    """Per-op weights of the weighted Hamming distance.

    Args:
        scores (dict): op name -> positive finite score.
        source (str): where the scores came from, for error messages.

    The column order is the DARTOpti op order (``EXTENDED_OPS``) for the ops
    it knows, followed by any other op in alphabetical order, so genotypes of
    the 7-op DARTS set land in the same 12 columns as extended ones.
    """

    def __init__(self, scores, source='scores'):
        if not isinstance(scores, dict) or not scores:
            raise ValueError(f'{source}: op scores must be a non-empty '
                             f'mapping op -> score, got {scores!r}')
        clean = {}
        for op, value in scores.items():
            if not isinstance(op, str):
                raise ValueError(f'{source}: op name {op!r} is not a string')
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f'{source}: score of {op!r} must be a '
                                 f'number, got {value!r}')
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f'{source}: score of {op!r} must be positive '
                                 f'and finite, got {value!r}')
            clean[op] = float(value)
        known = [op for op in EXTENDED_OPS if op in clean]
        extra = sorted(op for op in clean if op not in EXTENDED_OPS)
        self.names = tuple(known + extra)
        self.weights = np.array([clean[op] for op in self.names])
        self.source = source

    @classmethod
    def load(cls, path=None):
        """Read a JSON ``{op: score}`` file; ``None``: the packaged table."""
        path = DEFAULT_SCORES_PATH if path is None else path
        if not osp.isfile(path):
            raise FileNotFoundError(f'op score file not found: {path}')
        with open(path) as f:
            try:
                data = json.load(f)
            except json.JSONDecodeError as err:
                raise ValueError(f'{path}: invalid JSON: {err}') from None
        return cls(data, source=path)

    @classmethod
    def from_any(cls, obj=None):
        """``None`` (packaged table), a path, a dict or :class:`OpScores`."""
        if obj is None:
            return _default_scores()
        if isinstance(obj, OpScores):
            return obj
        if isinstance(obj, dict):
            return cls(obj)
        if isinstance(obj, str):
            return cls.load(obj)
        raise TypeError('op scores must be None, a path, a dict or OpScores, '
                        f'got {type(obj).__name__}')

    def __repr__(self):
        return f'OpScores({len(self.names)} ops from {self.source})'


@lru_cache(maxsize=1)
def _default_scores():
    return OpScores.load(None)


def num_cell_edges(steps):
    """Possible edges of a cell with ``steps`` nodes: 2 + 3 + ... + steps+1."""
    return sum(2 + i for i in range(steps))


def _edge_index(to, src):
    # Edges are numbered node by node: node 2 has edges 0,1; node 3 2..4; ...
    return num_cell_edges(to - 2) + src


def cell_rows(gene, steps, op_names, where='cell'):
    """Rows of a cell: one op-presence vector per possible edge.

    Args:
        gene: the cell's edges ``(op, to, from)``.
        steps (int): intermediate nodes of the cell.
        op_names (Sequence[str] | OpScores): the column order.
        where (str): names the cell in error messages.

    Returns:
        np.ndarray: ``(num_cell_edges(steps), len(op_names))`` float array
        of 0/1.
    """
    names = op_names.names if isinstance(op_names, OpScores) \
        else tuple(op_names)
    column = {op: i for i, op in enumerate(names)}
    rows = np.zeros((num_cell_edges(steps), len(names)))
    for e, (op, to, src) in enumerate(gene):
        at = f'{where}, edge {e} {(op, to, src)!r}'
        if not (2 <= to <= steps + 1 and 0 <= src < to):
            raise ValueError(f'{at}: not an edge of a cell with '
                             f'steps={steps}')
        if op not in column:
            raise ValueError(f'{at}: op {op!r} is not one of the columns '
                             f'({", ".join(names)}); give it a score')
        rows[_edge_index(to, src), column[op]] = 1.0
    return rows


def edge_distances(rows_a, rows_b, weights):
    """Weighted Hamming distance of every row of ``rows_a`` to every row of
    ``rows_b`` (0/1 arrays) -> ``(len(rows_a), len(rows_b))``.

    For 0/1 entries ``[u != v] = u (1 - v) + (1 - u) v``, so the whole
    matrix is two matrix products. Both terms are sums of non-negative
    products (no cancellation), so equal rows are at exactly 0.
    """
    w = np.asarray(weights, dtype=np.float64)
    rows_a = np.asarray(rows_a, dtype=np.float64)
    rows_b = np.asarray(rows_b, dtype=np.float64)
    diff = (rows_a * w) @ (1.0 - rows_b).T + ((1.0 - rows_a) * w) @ rows_b.T
    return diff / w.sum()


def hausdorff(dist):
    """Symmetric Hausdorff distance from a pairwise distance matrix."""
    return float(max(dist.min(axis=1).max(), dist.min(axis=0).max()))


def _set_rows(rows):
    # Duplicate rows change no Hausdorff distance; dropping them keeps the
    # matrices small (a sparse cell is mostly all-zero rows).
    return np.unique(rows, axis=0)


def cell_distance(gene_a, gene_b, steps_a=4, steps_b=None, scores=None):
    """Symmetric Hausdorff distance between two cells (genes).

    ``gene_a`` / ``gene_b`` may be ``None`` for the empty cell (no op).
    """
    scores = OpScores.from_any(scores)
    steps_b = steps_a if steps_b is None else steps_b
    rows_a = _gene_rows(gene_a, steps_a, scores, 'cell A')
    rows_b = _gene_rows(gene_b, steps_b, scores, 'cell B')
    return hausdorff(edge_distances(rows_a, rows_b, scores.weights))


def _gene_rows(gene, steps, scores, where):
    if gene is None:
        return np.zeros((1, len(scores.names)))
    return _set_rows(cell_rows(gene, steps, scores, where))


def _as_genotype(obj, name):
    try:
        return Genotype.from_any(obj)
    except (TypeError, ValueError, FileNotFoundError) as err:
        raise type(err)(f'genotype {name}: {err}') from None


def _expand(genotype, num_cells):
    if genotype.num_cells == num_cells:
        return genotype
    try:
        from mmddarts.search.expand import expand_genotype
    except ImportError as err:
        raise ImportError("align='expand' needs mmddarts.search.expand "
                          f'(Algorithm 1): {err}') from None
    return expand_genotype(genotype, num_cells)


class _RowCache:
    """Row sets per (genotype, gene), so shared genes are encoded once."""

    def __init__(self, scores):
        self.scores = scores
        self._rows = {}

    def rows(self, genotype, cell, label):
        if cell >= genotype.num_cells:
            return None  # padding: the empty cell
        key = (id(genotype), genotype.seq[cell])
        if key not in self._rows:
            self._rows[key] = (genotype, _gene_rows(
                genotype.gene(cell), genotype.steps, self.scores,
                f'genotype {label}, cell {cell} (gene {genotype.seq[cell]})'))
        return self._rows[key][1]


def _empty_rows(scores):
    return np.zeros((1, len(scores.names)))


def _cell_distances(a, b, scores, align, num_cells, cache, labels=('A', 'B')):
    if align not in ALIGN_MODES:
        raise ValueError(f'align must be one of {ALIGN_MODES}, got {align!r}')
    depth = max(a.num_cells, b.num_cells)
    if align == 'expand':
        a, b = _expand(a, depth), _expand(b, depth)
    if num_cells is not None:
        if num_cells < depth:
            raise ValueError(f'num_cells={num_cells} is smaller than the '
                             f'deeper network ({depth} cells)')
        depth = num_cells
    out = np.zeros(depth)
    memo = {}
    for i in range(depth):
        ra = cache.rows(a, i, labels[0])
        rb = cache.rows(b, i, labels[1])
        key = (a.seq[i] if ra is not None else None,
               b.seq[i] if rb is not None else None)
        if key not in memo:
            ra = _empty_rows(scores) if ra is None else ra
            rb = _empty_rows(scores) if rb is None else rb
            memo[key] = hausdorff(edge_distances(ra, rb, scores.weights))
        out[i] = memo[key]
    return out


def cell_distances(a, b, scores=None, align='pad', num_cells=None):
    """Per-position cell distances of two genotypes (see module doc for
    ``align`` and ``num_cells``) -> 1-D array."""
    scores = OpScores.from_any(scores)
    a, b = _as_genotype(a, 'A'), _as_genotype(b, 'B')
    return _cell_distances(a, b, scores, align, num_cells, _RowCache(scores))


def genotype_distance(a, b, scores=None, align='pad', num_cells=None):
    """Architecture distance of two genotypes (Genotype, dict or path)."""
    return float(cell_distances(a, b, scores, align, num_cells).mean())


def distance_matrix(genotypes, scores=None, align='pad', common_depth=False,
                    labels=None):
    """Pairwise distance matrix of a list of genotypes.

    ``common_depth=True`` pads every pair to the depth of the deepest
    genotype of the list, which keeps the triangle inequality across the
    whole matrix when depths differ (``align='pad'`` only). ``labels``
    (e.g. file names) name the genotypes in error messages.
    """
    scores = OpScores.from_any(scores)
    genotypes = list(genotypes)
    labels = [str(i) for i in range(len(genotypes))] if labels is None \
        else [str(label) for label in labels]
    genos = [_as_genotype(g, lb) for g, lb in zip(genotypes, labels)]
    if common_depth and align != 'pad':
        raise ValueError("common_depth=True needs align='pad'")
    depth = max(g.num_cells for g in genos) if (common_depth and genos) \
        else None
    cache = _RowCache(scores)
    n = len(genos)
    mat = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            mat[i, j] = mat[j, i] = _cell_distances(
                genos[i], genos[j], scores, align, depth, cache,
                labels=(labels[i], labels[j])).mean()
    return mat
