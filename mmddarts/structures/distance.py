"""Architecture distance of D-DARTS (paper section 4.5), vectorised with numpy.

From the bottom up:

* **edge row** -- an edge ``(to, from)`` of a cell as an op-presence 0/1
  vector over the ops of the score table (the 12 DARTOpti ops by default);
  an edge that carries no op is the all-zero row. A cell with ``steps`` nodes
  has ``k = 2 + 3 + ... + (steps + 1)`` possible edges (14 for 4 steps, 27 for
  6) and so ``k`` rows; which edge a row came from is ignored.
* **edge distance** -- weighted Hamming distance
  ``d(u, v) = sum_o w_o [u_o != v_o] / sum_o w_o`` with ``w_o`` the op's score,
  the CIFAR-10 top-1 of a 3-cell proxy network using only that op, summarised
  over the proxy's edges (see :data:`SCORE_TABLES`): ``'mean'`` (default,
  ``data/op_stats_mean.json``, the authors' ``op_stats.json``, which their
  distance code reads and which gave their published distances) or
  ``'median'`` (``data/op_stats_median.json``, the authors'
  ``op_stats_2.json``, the medians the paper's Table 1 reports).
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
  Algorithm 1 (:func:`mmddarts.structures.expand.expand_genotype`), the way
  D-DARTS itself turns an 8-cell search result into a 14-cell network; a
  genotype is then at distance 0 from its own expansion. Only meaningful for
  genotypes that Algorithm 1 can grow (searched D-DARTS cells).

* ``align='truncate'``: the authors' ``global_hausdorff_distance`` rule:
  only the positions both networks have are compared and averaged (the mean
  runs over ``min(N_A, N_B)`` cells); the deeper network's extra cells are
  ignored. Not a metric across depths (a network is at distance 0 from any
  deeper one that starts with its cells).

The reference code (``architecture_processing.py``) zips ``genes`` instead of
cell positions (so a shared-gene ResNet18 is compared by its single gene) and
counts an unmatched cell as distance 1.0; for networks whose genes are used
once each (D-DARTS) and equal depths, both agree with this module.
"""
import math
import os.path as osp
from functools import lru_cache

import numpy as np

from .expand import expand_genotype
from .json_text import parse_json
from .loading import genotype_from_any
from .op_sets import EXTENDED_OPS

_DATA = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'data')
# Named op-score tables. Both come from the authors' repository (same 3-cell
# proxy runs, summarised over the proxy's edges): 'mean' is their
# op_stats.json, read by their distance code (architecture_processing.py)
# and so behind their published distances; 'median' is their
# op_stats_2.json, written by their compute_op_stats_from_perfs with
# np.median, which is what the paper's Table 1 describes (its text: dil_conv
# 3x3 and 5x5 'only 0.03 % apart': 0.025 in the medians, 0.157 in the means).
SCORE_TABLES = {
    'mean': osp.join(_DATA, 'op_stats_mean.json'),
    'median': osp.join(_DATA, 'op_stats_median.json'),
}
DEFAULT_SCORES = 'mean'
DEFAULT_SCORES_PATH = SCORE_TABLES[DEFAULT_SCORES]
ALIGN_MODES = ('pad', 'expand', 'truncate')


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
        """Read a JSON ``{op: score}`` file, or a packaged table by name
        (``'mean'``, ``'median'``, see :data:`SCORE_TABLES`); ``None``: the
        default table (``'mean'``)."""
        path = DEFAULT_SCORES if path is None else path
        if path in SCORE_TABLES:
            return _named_scores(path)
        return cls._read(path)

    @classmethod
    def _read(cls, path, statistic=None):
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'op score file not found: {path} (a JSON {{op: score}} '
                f'file, or a packaged table: {", ".join(SCORE_TABLES)})')
        with open(path) as f:
            data = parse_json(f.read(), path)
        scores = cls(data, source=path)
        scores.statistic = statistic
        return scores

    @classmethod
    def from_any(cls, obj=None):
        """``None`` (the default table), a table name (``'mean'``,
        ``'median'``), a path, a dict or :class:`OpScores`."""
        if obj is None:
            return _named_scores(DEFAULT_SCORES)
        if isinstance(obj, OpScores):
            return obj
        if isinstance(obj, dict):
            return cls(obj)
        if isinstance(obj, str):
            return cls.load(obj)
        raise TypeError('op scores must be None, a table name '
                        f'({", ".join(SCORE_TABLES)}), a path, a dict or '
                        f'OpScores, got {type(obj).__name__}')

    #: ``'mean'`` / ``'median'`` for a packaged table, else ``None``
    statistic = None

    def __repr__(self):
        what = f'{self.statistic} table ' if self.statistic else ''
        return f'OpScores({len(self.names)} ops, {what}from {self.source})'


@lru_cache(maxsize=None)
def _named_scores(name):
    return OpScores._read(SCORE_TABLES[name], statistic=name)


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
        return genotype_from_any(obj)
    except (TypeError, ValueError, FileNotFoundError) as err:
        raise type(err)(f'genotype {name}: {err}') from None


def _expand(genotype, num_cells):
    if genotype.num_cells == num_cells:
        return genotype
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
    elif align == 'truncate':
        if num_cells is not None:
            raise ValueError("num_cells (a common padded depth) needs "
                             "align='pad', not 'truncate'")
        depth = min(a.num_cells, b.num_cells)
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
