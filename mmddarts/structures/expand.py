"""Algorithm 1 of D-DARTS: derive a deeper (or shallower) network from a
searched genotype without a new search.

Mapping rule (pure function on genotypes). A *stage* is a reduction cell and
the normal cells after it up to the next reduction; stage 0 is the normal
cells before the first reduction (empty when cell 0 reduces).

1. Target reduction positions (the ``reductions`` argument of
   :func:`expand_genotype`, ``DDartsNet``, ``DDartsDetBackbone`` and so of
   the configs' ``model.backbone.reductions``). Default:

   * the depth does not change: the source's own positions (``N -> N`` is
     the identity);
   * the source's ``k`` reductions are the even spread of its own depth
     (:func:`spread_reductions`: DARTS' ``2, 5`` of 8 cells, ResNet's
     ``1, 2, 3`` of 4, a 4-cell search's ``1, 2``): the even spread of the
     target depth, ``floor(i * L / (k + 1))``, i.e. DARTS' ``L//3, 2L//3``;
   * otherwise (e.g. Xception's ``1, 2, 11, 12`` of 13): every stage is
     scaled by ``L / N`` (largest remainders, ties to the earlier stage,
     every non-empty stage keeps at least its reduction cell), so ``2x``
     doubles each stage.

2. Target reduction ``i`` uses the gene of source reduction ``i``.
3. The normal cells of target stage ``j`` cycle the normal cells of source
   stage ``j`` in order (target cell ``t`` of the stage takes source normal
   cell ``t mod n_j``); a shorter target stage cuts the cycle (truncation).
   When source stage ``j > 0`` has no normal cell (adjacent reductions, or a
   reduction at the last cell), its normal cells repeat the stage's
   reduction gene at stride 1, as stacking residual blocks does (ResNet:
   the first block of a stage reduces, the next ones have the same layers at
   stride 1). Stage 0 has no reduction gene to repeat: a target that needs
   normal cells there from a source without any is an error.

Example, 8 -> 14 cells with reductions (2, 5) -> (4, 9): stages
``[0, 1] | 2, [3, 4] | 5, [6, 7]`` become ``[0, 1, 0, 1] | 2, [3, 4, 3, 4] |
5, [6, 7, 6, 7]``, i.e. genes ``[0, 1, 0, 1, 2, 3, 4, 3, 4, 5, 6, 7, 6, 7]``
for ``seq = range(8)``. DO-ResNet18 (reductions 1, 2, 3 of 4) -> 8 cells:
reductions 2, 4, 6 and cells ``[0, 0, 1, 1, 2, 2, 3, 3]`` (cells 3, 5, 7 are
the reduction genes at stride 1).

Unlike the reference implementation this handles any number of reductions
(it raises for more than two) and has no operator-precedence slip in the first
segment.
"""
import logging

from mmengine.logging import print_log

from .genotype import GenotypeError
from .loading import genotype_from_any


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


def _stages(num_cells, reductions):
    """Cells of each stage (k + 1 lists; see the module doc)."""
    bounds = [0, *reductions, num_cells]
    return [list(range(a, b)) for a, b in zip(bounds[:-1], bounds[1:])]


def _normal_cells(stage, j):
    """The normal cells of stage ``j`` (all but its leading reduction)."""
    return stage[1:] if j > 0 else stage


def scaled_reductions(num_cells, src_num_cells, src_reductions):
    """Reduction positions that scale every stage by ``L / N``.

    Stage lengths are ``len_j * L / N`` rounded by largest remainders (ties
    to the earlier stage); a non-empty source stage keeps at least one cell.
    """
    src_stages = _stages(src_num_cells, src_reductions)
    lengths = [len(s) for s in src_stages]
    need = sum(1 for n in lengths if n)
    if num_cells < need:
        raise GenotypeError(
            f'cannot scale the {src_num_cells}-cell layout with reductions '
            f'{list(src_reductions)} to {num_cells} cells: it has {need} '
            'non-empty stages; pass reductions= explicitly')
    quota = [n * num_cells / src_num_cells for n in lengths]
    alloc = [max(int(q), 1) if n else 0 for q, n in zip(quota, lengths)]
    while sum(alloc) < num_cells:
        j = max((j for j, n in enumerate(lengths) if n),
                key=lambda j: (quota[j] - alloc[j], -j))
        alloc[j] += 1
    while sum(alloc) > num_cells:
        j = min((j for j, a in enumerate(alloc) if a > 1),
                key=lambda j: (quota[j] - alloc[j], j))
        alloc[j] -= 1
    positions, start = [], 0
    for j, a in enumerate(alloc):
        if j > 0:
            positions.append(start)
        start += a
    return tuple(positions)


def default_target_reductions(genotype, num_cells):
    """Step 1 of the module doc: the default target reduction positions."""
    src_red = tuple(genotype.reductions)
    if num_cells == genotype.num_cells:
        return src_red
    k = len(src_red)
    try:
        even = spread_reductions(genotype.num_cells, k) == src_red
    except GenotypeError:
        even = False
    if even:
        return spread_reductions(num_cells, k)
    return scaled_reductions(num_cells, genotype.num_cells, src_red)


def expansion_map(genotype, num_cells, reductions=None):
    """Source cell position used by each target cell (see module doc).

    Returns:
        tuple: ``(cell_map, target_reductions)``.
    """
    genotype = genotype_from_any(genotype)
    if not isinstance(num_cells, int) or isinstance(num_cells, bool) \
            or num_cells < 1:
        raise GenotypeError(
            f'num_cells must be a positive integer, got {num_cells!r}')
    src_red = list(genotype.reductions)
    k = len(src_red)
    if reductions is None:
        reductions = default_target_reductions(genotype, num_cells)
    reductions = list(reductions)
    if len(reductions) != k:
        raise GenotypeError(
            f'the source genotype has {k} reduction cell(s) {src_red} but '
            f'{len(reductions)} target reduction(s) {reductions} were asked: '
            'the counts must match (each keeps its own gene)')
    if any(not isinstance(r, int) or isinstance(r, bool)
           or not 0 <= r < num_cells
           for r in reductions) or reductions != sorted(set(reductions)):
        raise GenotypeError(
            f'target reductions {reductions} must be strictly increasing '
            f'cell positions in 0..{num_cells - 1}')
    src_stages = _stages(genotype.num_cells, src_red)
    dst_stages = _stages(num_cells, reductions)
    cell_map = [None] * num_cells
    for j, (src, dst) in enumerate(zip(src_stages, dst_stages)):
        if j > 0:
            cell_map[dst[0]] = src[0]  # reduction j-1 keeps its gene
        dst_normal = _normal_cells(dst, j)
        # no normal cell to cycle: repeat the reduction gene at stride 1
        pool = _normal_cells(src, j) or src[:1]
        if dst_normal and not pool:
            raise GenotypeError(
                f'stage 0 of the target (cells {dst_normal[0]}..'
                f'{dst_normal[-1]}, before the first reduction) needs '
                f'{len(dst_normal)} normal cell(s) but the source has none '
                f'before its first reduction (cell {src_red[0]}) and no '
                'reduction gene to repeat there; choose reductions[0]=0')
        for t, cell in enumerate(dst_normal):
            cell_map[cell] = pool[t % len(pool)]
    return tuple(cell_map), tuple(reductions)


def expand_genotype(genotype, num_cells, reductions=None):
    """Algorithm 1: a ``num_cells``-cell genotype built from ``genotype``.

    Args:
        genotype: a :class:`Genotype`, dict or path (``genotype_from_any``).
        num_cells: number of cells of the new network (may be smaller).
        reductions: target reduction positions; default: see module doc.

    Returns:
        Genotype: genes unused by the new network are dropped (the others
        keep their relative order); ``meta['expanded_from']`` records the
        source depth, reductions and the source cell of every new cell.
    """
    genotype = genotype_from_any(genotype)
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
        allocations=None if genotype.allocations is None else
        [genotype.allocations[g] for g in used],
        seq=[renumber[g] for g in src_seq],
        reductions=list(target_red),
        meta=meta)
