"""Parse architecture weights into a :class:`Genotype`.

Pure functions on numpy arrays / tensors, so they run on checkpoints without
building a supernet. Edge ``k`` of a cell follows DARTS' order: node ``2+i``
takes edges from nodes ``0 .. i+1``; the edges of node ``2+i`` start at
``sum(2 + t for t < i)``.

Methods (``W`` = the mixed op weights: sigmoid or softmax of alpha):

==========  ==============================  ============================
method      edges kept per node             ops kept per edge
==========  ==============================  ============================
``darts``   top-2 edges by max op weight    argmax (no threshold)
``sparse``  top-2 edges by max op weight    argmax, only if ``>= T``
``edge``    all edges                       top-2 ops, each if ``>= T``
==========  ==============================  ============================

``'none'`` (softmax search) is never selected and never counts in an edge's
strength. Ties are broken by the lower edge / op index (stable sorts). Edges
are listed node by node, by source node, and (``edge``) by decreasing weight.

After selection, edges whose source node ended up with no incoming edge are
dropped, repeatedly, so the gene is always a valid DAG of fed nodes. If a gene
would end up empty (every weight below ``T``), we keep the single strongest op
into the first intermediate node (node 2, whose inputs are the cell inputs, so
it is always valid) regardless of ``T``: a cell must compute something, and
this is the least-committal choice. It is never silent: each such owner
gets an :class:`EmptyGeneWarning` naming its cell(s), the substituted op and
its weight, and an entry in ``meta['empty_fallback']`` (``owner``, ``cells``,
``op``, ``to``, ``src``, ``weight``, ``threshold``) that drawings and users
can check; ``strict=True`` raises :class:`EmptyGeneError` instead.
"""
import warnings

import numpy as np

from .genotype import Edge, Genotype
from .op_sets import NONE_OP, smallest_op_set

PARSE_METHODS = ('darts', 'sparse', 'edge')


class EmptyGeneWarning(UserWarning):
    """A gene had no op above the threshold and got a made-up edge."""


class EmptyGeneError(ValueError):
    """``strict`` parsing: a gene had no op above the threshold."""


def num_edges(steps):
    """Edges of a search cell with ``steps`` intermediate nodes."""
    return sum(2 + i for i in range(steps))


def edge_index(to, src):
    """Row of edge ``src -> to`` in the [edges, ops] weight matrix."""
    i = to - 2
    return sum(2 + t for t in range(i)) + src


def _to_numpy(weights):
    if hasattr(weights, 'detach'):  # torch tensor, without importing torch
        weights = weights.detach().float().cpu().numpy()
    return np.asarray(weights, dtype=np.float64)


def prune_unfed(edges):
    """Drop edges reading an intermediate node without incoming edges,
    until none is left (dropping one edge can starve another node)."""
    edges = list(edges)
    while True:
        fed = {e.to for e in edges}
        kept = [e for e in edges if e.src < 2 or e.src in fed]
        if len(kept) == len(edges):
            return kept
        edges = kept


def parse_gene(weights, op_names, steps=4, method='sparse', threshold=0.85):
    """Select the edges of one cell.

    Args:
        weights: mixed op weights ``[edges, ops]`` (numpy or tensor), already
            passed through sigmoid / softmax.
        op_names: the column names of ``weights`` (may include ``'none'``).
        steps: intermediate nodes of the cell.
        method: ``'darts'``, ``'sparse'`` or ``'edge'``.
        threshold: ``T`` of ``sparse`` / ``edge`` (ignored by ``darts``).

    Returns:
        tuple: ``(edges, fallback)``: a list of :class:`Edge` and ``None``,
        or, when the empty-gene fallback was used, a dict ``op``, ``to``,
        ``src``, ``weight`` (the substituted op and its op weight).
    """
    if method not in PARSE_METHODS:
        raise ValueError(f'unknown parse method {method!r}; expected one of '
                         f'{PARSE_METHODS}')
    W = _to_numpy(weights)
    op_names = list(op_names)
    if W.shape != (num_edges(steps), len(op_names)):
        raise ValueError(
            f'weights of shape {tuple(W.shape)} do not match a cell with '
            f'steps={steps} ({num_edges(steps)} edges) and {len(op_names)} '
            f'ops {op_names}')
    # NaN compares False with everything, so argmax / thresholds would still
    # return a plausible-looking gene from a diverged search.
    finite = np.isfinite(W)
    if not finite.all():
        rows = sorted({int(r) for r in np.nonzero(~finite)[0]})
        raise ValueError(
            f'non-finite architecture weights (NaN/inf) on edge(s) {rows} of '
            f'{W.shape[0]}: the search diverged (check the loss / AMP '
            'overflow), there is no genotype to parse')
    # 'none' can never win: mask it out of every max / argmax / top-k.
    valid = np.array([name != NONE_OP for name in op_names])
    if not valid.any():
        raise ValueError("op_names only holds 'none': nothing to select")
    Wm = np.where(valid[None, :], W, -np.inf)

    edges = []
    for i in range(steps):
        to = i + 2
        rows = [edge_index(to, src) for src in range(to)]
        if method == 'edge':
            for src, row in enumerate(rows):
                # stable: equal weights keep the lower op index first
                order = np.argsort(-Wm[row], kind='stable')[:2]
                for k in order:
                    if valid[k] and Wm[row, k] >= threshold:
                        edges.append(Edge(op_names[k], to, src))
            continue
        strength = Wm[rows].max(axis=1)
        # listed by source node: a canonical order, so equal selections give
        # equal genotypes
        top_src = sorted(np.argsort(-strength, kind='stable')[:2])
        for src in top_src:
            row = rows[src]
            k = int(np.argmax(Wm[row]))
            if method == 'sparse' and Wm[row, k] < threshold:
                continue
            edges.append(Edge(op_names[k], to, int(src)))

    edges = prune_unfed(edges)
    fallback = None
    if not edges:
        # Strongest op into node 2 (reads only the cell inputs): always valid.
        rows = [edge_index(2, 0), edge_index(2, 1)]
        flat = Wm[rows]
        src, k = np.unravel_index(int(np.argmax(flat)), flat.shape)
        edges = [Edge(op_names[k], 2, int(src))]
        fallback = dict(op=op_names[k], to=2, src=int(src),
                        weight=float(flat[src, k]))
    return edges, fallback


def parse_genotype(weights,
                   op_names,
                   seq,
                   reductions,
                   steps=4,
                   method='sparse',
                   threshold=0.85,
                   op_set=None,
                   meta=None,
                   strict=False):
    """Parse the weights of every alpha owner into a :class:`Genotype`.

    Args:
        weights: one ``[edges, ops]`` array per alpha owner (mixed weights).
        op_names: column names of the weights (may include ``'none'``).
        seq: the owner of each cell position (``range(N)`` for D-DARTS,
            ``[0, 0, 1, 0, ...]`` for DARTS' normal / reduction sets).
        reductions: reduction cell positions.
        op_set: op-set name of the genotype; by default the smallest set
            holding the selected ops' search space (``op_names`` less 'none').
        meta: extra metadata merged into ``meta``.
        strict: raise :class:`EmptyGeneError` instead of substituting a
            below-threshold op into an empty gene (and warning).

    Returns:
        Genotype: one gene per owner, ``seq`` as given, ``meta`` with
        ``parse_method``, ``threshold`` and ``empty_fallback``: one dict per
        owner whose gene fell back to a single below-threshold edge
        (``owner``, ``cells``, ``op``, ``to``, ``src``, ``weight``,
        ``threshold``), ``[]`` when none did.
    """
    seq = [int(s) for s in seq]
    if len(weights) == 0:
        raise ValueError('no architecture weights to parse')
    bad = [s for s in seq if not 0 <= s < len(weights)]
    if bad:
        raise ValueError(f'seq refers to owner(s) {sorted(set(bad))} but '
                         f'only {len(weights)} weight sets were given')
    if op_set is None:
        op_set = smallest_op_set([n for n in op_names if n != NONE_OP])
    genes, fallbacks = [], []
    for owner, w in enumerate(weights):
        try:
            gene, fallback = parse_gene(w, op_names, steps, method, threshold)
        except ValueError as err:
            cells = [i for i, s in enumerate(seq) if s == owner]
            raise ValueError(
                f'alpha owner {owner} (cell(s) {cells}): {err}') from None
        genes.append(gene)
        if fallback:
            cells = [i for i, s in enumerate(seq) if s == owner]
            entry = dict(owner=owner, cells=cells, **fallback,
                         threshold=None if method == 'darts' else
                         float(threshold))
            where = (f'alpha owner {owner} (cell(s) {cells}): no op reaches '
                     f'the {method} threshold {threshold}')
            edge = (f"{fallback['op']} {fallback['to']}<-{fallback['src']} "
                    f"of weight {fallback['weight']:.4f}")
            if strict:
                raise EmptyGeneError(
                    f'{where} (strongest op into node 2: {edge}); strict '
                    'parsing: search longer or lower the threshold')
            msg = f'{where}; the gene is the substituted {edge}'
            warnings.warn(msg, EmptyGeneWarning, stacklevel=2)
            fallbacks.append(entry)
    info = dict(parse_method=method,
                threshold=None if method == 'darts' else float(threshold),
                empty_fallback=fallbacks)
    info.update(meta or {})
    return Genotype(genes=genes, seq=seq, reductions=tuple(reductions),
                    steps=steps, op_set=op_set, meta=info)
