"""Algorithm 1 of D-DARTS: derive a deeper (or shallower) network from a
searched genotype without a new search.

Mapping rule (pure function on genotypes):

1. Target reduction positions: ``reductions`` if given; else, if the depth
   does not change, the source's own positions (so ``N -> N`` is the
   identity); else the source's ``k`` reductions spread evenly:
   ``floor(i * L / (k + 1))`` for ``i = 1..k`` - this is DARTS' ``L//3``,
   ``2L//3`` for ``k = 2`` (see :func:`spread_reductions`).
2. The reductions split both networks into ``k + 1`` segments of normal
   cells. Target reduction ``i`` uses the gene of source reduction ``i``.
3. Target segment ``j`` is filled by cycling the normal cells of source
   segment ``j`` in order: target cell ``t`` of the segment takes source
   cell ``t mod n_j`` of that segment (``n_j`` = its length). When the target
   segment is shorter, the cycle is simply cut (truncation).

Example, 8 -> 14 cells with reductions (2, 5) -> (4, 9): segments
``[0, 1] | 2 | [3, 4] | 5 | [6, 7]`` become ``[0, 1, 0, 1] | 2 |
[3, 4, 3, 4] | 5 | [6, 7, 6, 7]``, i.e. genes
``[0, 1, 0, 1, 2, 3, 4, 3, 4, 5, 6, 7, 6, 7]`` for ``seq = range(8)``.

Unlike the reference implementation this handles any number of reductions
(it raises for more than two) and has no operator-precedence slip in the first
segment.
"""
import logging

from mmengine.logging import print_log

from mmddarts.structures import Genotype, GenotypeError


def spread_reductions(num_cells, num_reductions):
    """Evenly spread reduction positions ``floor(i * L / (k + 1))``.

    Gives ``(L//3, 2L//3)`` for two reductions (DARTS' layout).
    """
    if num_reductions < 0:
        raise ValueError('num_reductions must be >= 0')
    positions = tuple(i * num_cells // (num_reductions + 1)
                      for i in range(1, num_reductions + 1))
    if len(set(positions)) != len(positions) or (
            positions and positions[-1] >= num_cells):
        raise GenotypeError(
            f'cannot place {num_reductions} distinct reduction cells in a '
            f'{num_cells}-cell network; pass reductions= explicitly')
    return positions


def _segments(num_cells, reductions):
    """Normal cell positions between consecutive reductions (k + 1 lists)."""
    bounds = [-1, *reductions, num_cells]
    return [list(range(a + 1, b)) for a, b in zip(bounds[:-1], bounds[1:])]


def expansion_map(genotype, num_cells, reductions=None):
    """Source cell position used by each target cell (see module doc).

    Returns:
        tuple: ``(cell_map, target_reductions)``.
    """
    genotype = Genotype.from_any(genotype)
    if not isinstance(num_cells, int) or isinstance(num_cells, bool) \
            or num_cells < 1:
        raise GenotypeError(
            f'num_cells must be a positive integer, got {num_cells!r}')
    src_red = list(genotype.reductions)
    k = len(src_red)
    if reductions is None:
        if num_cells == genotype.num_cells:
            reductions = src_red
        else:
            reductions = spread_reductions(num_cells, k)
    reductions = list(reductions)
    if len(reductions) != k:
        raise GenotypeError(
            f'the source genotype has {k} reduction cell(s) {src_red} but '
            f'{len(reductions)} target reduction(s) {reductions} were asked: '
            'the counts must match (each keeps its own gene)')
    if any(not isinstance(r, int) or not 0 <= r < num_cells
           for r in reductions) or reductions != sorted(set(reductions)):
        raise GenotypeError(
            f'target reductions {reductions} must be strictly increasing '
            f'cell positions in 0..{num_cells - 1}')
    src_segs = _segments(genotype.num_cells, src_red)
    dst_segs = _segments(num_cells, reductions)
    cell_map = [None] * num_cells
    for i, r in enumerate(reductions):
        cell_map[r] = src_red[i]
    for j, (src, dst) in enumerate(zip(src_segs, dst_segs)):
        if dst and not src:
            raise GenotypeError(
                f'segment {j} of the target (cells {dst[0]}..{dst[-1]}) '
                f'needs {len(dst)} normal cell(s) but the source segment '
                f'{j} (between reductions {([-1] + src_red)[j]} and '
                f'{(src_red + [genotype.num_cells])[j]}) has none to cycle; '
                'choose target reductions that leave that segment empty')
        for t, cell in enumerate(dst):
            cell_map[cell] = src[t % len(src)]
    return tuple(cell_map), tuple(reductions)


def expand_genotype(genotype, num_cells, reductions=None):
    """Algorithm 1: a ``num_cells``-cell genotype built from ``genotype``.

    Args:
        genotype: a :class:`Genotype`, dict or path (``Genotype.from_any``).
        num_cells: number of cells of the new network (may be smaller).
        reductions: target reduction positions; default: see module doc.

    Returns:
        Genotype: genes unused by the new network are dropped (the others
        keep their relative order); ``meta['expanded_from']`` records the
        source depth, reductions and the source cell of every new cell.
    """
    genotype = Genotype.from_any(genotype)
    cell_map, target_red = expansion_map(genotype, num_cells, reductions)
    dropped = sorted(set(range(genotype.num_cells)) - set(cell_map))
    if dropped:
        # A config's fixed num_cells silently cutting a deeper search is easy
        # to miss: say which searched cells the new network does not use.
        print_log(
            f'Algorithm 1: the {num_cells}-cell network built from a '
            f'{genotype.num_cells}-cell genotype drops {len(dropped)} '
            f'searched cell(s) {dropped}; set num_cells=None (or '
            f'{genotype.num_cells}) to keep every searched cell',
            logger='current', level=logging.WARNING)
    src_seq = [genotype.seq[c] for c in cell_map]
    used = sorted(set(src_seq))
    renumber = {g: i for i, g in enumerate(used)}
    meta = dict(genotype.meta)
    meta['expanded_from'] = {
        'num_cells': genotype.num_cells,
        'reductions': list(genotype.reductions),
        'cell_map': list(cell_map),
    }
    return genotype.replace(
        genes=[genotype.genes[g] for g in used],
        seq=[renumber[g] for g in src_seq],
        reductions=list(target_red),
        meta=meta)
