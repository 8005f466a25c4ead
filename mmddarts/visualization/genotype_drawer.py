"""Draw a genotype as a grid of cell graphs (matplotlib, no graphviz).

One panel per distinct cell: cells that share a gene *and* a role (normal or
reduction) are drawn once, titled with every position that uses it, so a
13-cell Xception takes 4 panels while D-DARTS' 8 individual cells take 8.
``per_cell=True`` draws one panel per cell position instead.

Nodes carry the genotype JSON's numbers, as the logs print them: ``0`` and
``1`` are the cell inputs (outputs of cells ``k-2`` and ``k-1``), ``2 ..
steps+1`` the intermediate nodes, ``out`` the concatenation. Layout of a
panel, chosen so that no two labels can overlap however dense the gene (an
``edge`` parse keeps up to 2 ops on each of 27 edges of a 6-step cell):

* the nodes in one column, top to bottom in node order;
* each edge ``src -> to`` an arc on the left of that column (several ops on
  the same pair share one arc: they are summed);
* right of the column, one text row per incoming node pair, in the logs'
  wording (``2<-0  sep 3x3 + max 3x3``); a node with ``n`` incoming pairs
  owns ``n`` rows, so every label has a row of its own.

Ops a parse added because the gene would otherwise be empty (genotype
``meta['empty_fallback']``: the genes concerned) are drawn dashed in red and
labelled ``(fallback)``.

Every size is set in inches (rows, columns, panels placed with
``fig.add_axes``), so the picture does not depend on a layout engine.
"""
import math
import os
import os.path as osp

from mmddarts.structures.loading import genotype_from_any

_COLORS = {
    'input': '#9ecae1',
    'node': '#fdd49e',
    'unused': '#eeeeee',
    'output': '#a1d99b',
    'reduction': '#e6550d',
    'normal': '#3182bd',
    'edge': '#444444',
    'fallback': '#d62728',
}

# Short edge labels (self-explanatory, and they keep the panels narrow).
SHORT_OP_NAMES = {
    'max_pool_3x3': 'max 3x3',
    'avg_pool_3x3': 'avg 3x3',
    'skip_connect': 'skip',
    'sep_conv_3x3': 'sep 3x3',
    'sep_conv_5x5': 'sep 5x5',
    'dil_conv_3x3': 'dil 3x3',
    'dil_conv_5x5': 'dil 5x5',
    'conv_3x1_1x3': '1x3+3x1',
    'conv_7x1_1x7': '1x7+7x1',
    'simple_conv_1x1': 'conv 1x1',
    'simple_conv_3x3': 'conv 3x3',
    'bottleneck_1x3x1': 'bottleneck',
}

FALLBACK_TAG = ' (fallback)'

# Geometry, in inches / points.
_ROW = 0.2  # height of one text row
_FONT = 8  # label font size (pt); 8 pt = 0.11 in, well inside a row
_CHAR = 0.62 * _FONT / 72  # generous average glyph width (DejaVu Sans)
_TITLE_FONT = 9
_SUPTITLE_FONT = 11
_NODE_X = 0.15  # node column, from the arc area's right edge
_TEXT_PAD = 0.22  # node column -> start of the labels
_GAP = 0.35  # between panels
_TITLE_H = 0.35  # above each panel


def cell_groups(genotype, per_cell=False):
    """``[(gene_index, is_reduction, [cell positions])]`` in first-use
    order: the panels :func:`draw_genotype` draws."""
    genotype = genotype_from_any(genotype)
    if per_cell:
        return [(genotype.seq[c], genotype.is_reduction(c), [c])
                for c in range(genotype.num_cells)]
    groups = {}
    for c in range(genotype.num_cells):
        key = (genotype.seq[c], genotype.is_reduction(c))
        groups.setdefault(key, []).append(c)
    return [(g, red, cells) for (g, red), cells in groups.items()]


def fallback_genes(genotype):
    """Gene indices whose ops are a parse's empty-gene fallback.

    ``meta['empty_fallback']`` is one dict per fallen-back gene (``owner``:
    the gene index, ``cells``, ``op``, ``to``, ``src``, ``weight``; see
    :func:`mmddarts.structures.parsing.parse_genotype`); plain gene indices
    (files written before that schema) are accepted too.
    """
    value = genotype.meta.get('empty_fallback') or []
    if not isinstance(value, (list, tuple)):
        value = [value]
    return {int(v['owner']) if isinstance(v, dict) else int(v)
            for v in value}


def input_label(node):
    return ('0  input c$_{k-2}$', '1  input c$_{k-1}$')[node]


def panel_rows(gene, steps, short=True, fallback=False, allocations=None):
    """The text rows of a panel, top to bottom, as ``(node, label, kind)``:
    ``node`` is the node a row belongs to (``'out'`` for the output), kind
    ``'node'``, ``'edge'``, ``'fallback'`` or ``'output'``. A node's first
    row is where its marker is drawn. ``allocations`` (ACA, one per edge):
    an allocated op is labelled with the share of its channels refilled
    with identity, ``sep 3x3 (id 62%)`` (``1 - fraction``)."""
    ops_by_pair = {}
    for i, e in enumerate(gene):
        name = SHORT_OP_NAMES.get(e.op, e.op) if short else e.op
        alloc = allocations[i] if allocations is not None else None
        if alloc is not None:
            name += f' (id {1 - alloc.fraction:.0%})'
        ops_by_pair.setdefault((e.to, e.src), []).append(name)
    rows = [(0, input_label(0), 'node'), (1, input_label(1), 'node')]
    for node in range(2, steps + 2):
        pairs = sorted(p for p in ops_by_pair if p[0] == node)
        if not pairs:
            rows.append((node, f'{node}  (no input: unused)', 'node'))
        for to, src in pairs:
            label = f'{to}<-{src}  ' + ' + '.join(ops_by_pair[(to, src)])
            kind = 'edge'
            if fallback:
                label, kind = label + FALLBACK_TAG, 'fallback'
            rows.append((node, label, kind))
    used = sorted({e.to for e in gene})
    rows.append(('out', 'out  concat(' + ', '.join(map(str, used)) + ')',
                 'output'))
    return rows


def _node_rows(rows):
    """Row index of each node's marker (its first row)."""
    first = {}
    for r, (node, _, _) in enumerate(rows):
        first.setdefault(node, r)
    return first


def _bulge(span_rows):
    """Horizontal reach (inches) of an arc spanning ``span_rows`` rows:
    grows with the span so that nested arcs stay apart."""
    return 0.12 + 0.05 * span_rows


def _panel_size(rows, title, arcs_span):
    arc_w = _bulge(arcs_span) + 0.1
    text_w = max(len(_plain(label)) for _, label, _ in rows) * _CHAR
    width = arc_w + _NODE_X + _TEXT_PAD + text_w + 0.1
    width = max(width, len(title) * _CHAR * _TITLE_FONT / _FONT + 0.1)
    return arc_w, width, len(rows) * _ROW


def _plain(label):
    """Label length as drawn (mathtext ``c$_{k-2}$`` is about 4 glyphs)."""
    return label.replace('$_{', '').replace('}$', '')


def _draw_panel(ax, rows, gene, arc_w, height, title, reduction, fallback):
    from matplotlib.patches import FancyArrowPatch
    node_row = _node_rows(rows)
    x_node = arc_w + _NODE_X

    def y_of(r):  # row centre, inches from the panel bottom
        return height - (r + 0.5) * _ROW

    pairs = sorted({(e.src, e.to) for e in gene})
    for src, to in pairs:
        y0, y1 = y_of(node_row[src]), y_of(node_row[to])
        chord = abs(y0 - y1)
        span = chord / _ROW
        # arc3 puts its control point rad * chord off the chord's middle;
        # the curve reaches half of that
        rad = 2 * _bulge(span) / chord
        color = _COLORS['fallback'] if fallback else _COLORS['edge']
        ax.add_patch(FancyArrowPatch(
            (x_node, y0), (x_node, y1), arrowstyle='-|>', mutation_scale=7,
            connectionstyle=f'arc3,rad={rad:.4f}', color=color, lw=0.8,
            linestyle='--' if fallback else '-', shrinkA=4, shrinkB=4,
            zorder=1))
    for r, (node, label, kind) in enumerate(rows):
        y = y_of(r)
        if node_row[node] == r:
            if node in (0, 1):
                face = _COLORS['input']
            elif node == 'out':
                face = _COLORS['output']
            else:
                face = _COLORS['node'] if any(e.to == node for e in gene) \
                    else _COLORS['unused']
            ax.plot([x_node], [y], 'o', ms=7, mfc=face, mec='black', mew=0.7,
                    zorder=3)
        color = _COLORS['fallback'] if kind == 'fallback' else 'black'
        weight = 'bold' if kind in ('node', 'output') else 'normal'
        ax.text(x_node + _TEXT_PAD, y, label, fontsize=_FONT, ha='left',
                va='center', color=color, fontweight=weight, zorder=2)
    color = _COLORS['reduction'] if reduction else _COLORS['normal']
    ax.set_title(title, fontsize=_TITLE_FONT, color=color,
                 fontweight='bold' if reduction else 'normal')


def draw_genotype(genotype, out_file=None, per_cell=False, ncols=None,
                  title=None, dpi=120, short_names=True):
    """Draw ``genotype`` and return the matplotlib figure.

    Args:
        genotype: a :class:`Genotype`, dict or path.
        out_file: write the figure there (PNG by extension) when given.
        per_cell: one panel per cell position instead of per distinct cell.
        ncols: panels per row (default: up to 4).
        title: figure title (default: the genotype's source or paper name).
        dpi: resolution of the written image.
        short_names: label edges ``sep 3x3`` instead of ``sep_conv_3x3``
            (see :data:`SHORT_OP_NAMES`).
    """
    # A plain Figure, not pyplot: no global backend change, no GUI, and
    # drawing in a loop leaks no figures; savefig renders with Agg.
    from matplotlib.figure import Figure

    genotype = genotype_from_any(genotype)
    groups = cell_groups(genotype, per_cell)
    fallbacks = fallback_genes(genotype)
    panels = []
    for g, red, cells in groups:
        gene = genotype.genes[g]
        kind = 'reduction' if red else 'normal'
        where = 'cell' if len(cells) == 1 else 'cells'
        ptitle = f'{kind} - {where} {_ranges(cells)} (gene {g})'
        if g in fallbacks:
            ptitle += ' - empty-gene fallback'
        rows = panel_rows(gene, genotype.steps, short_names, g in fallbacks,
                          None if genotype.allocations is None else
                          genotype.allocations[g])
        node_row = _node_rows(rows)
        span = max([abs(node_row[e.to] - node_row[e.src]) for e in gene],
                   default=1)
        arc_w, width, height = _panel_size(rows, ptitle, span)
        panels.append((gene, red, ptitle, rows, arc_w, width, height,
                       g in fallbacks))

    ncols = ncols or min(4, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    col_w = max(p[5] for p in panels)
    row_h = [max(p[6] for p in panels[r * ncols:(r + 1) * ncols])
             for r in range(nrows)]
    meta = genotype.meta
    title = title or meta.get('paper_name') or meta.get('source_file') \
        or meta.get('baseline') or 'genotype'
    suptitle = (f'{title}: {genotype.num_cells} cells, reductions '
                f'{list(genotype.reductions)}, op set {genotype.op_set}')
    sup_h = 0.5
    fig_w = max(ncols * col_w + (ncols + 1) * _GAP,
                len(suptitle) * _CHAR * _SUPTITLE_FONT / _FONT + 2 * _GAP)
    fig_h = sup_h + sum(h + _TITLE_H + _GAP for h in row_h)
    fig = Figure(figsize=(fig_w, fig_h), dpi=dpi)
    fig.text(_GAP / fig_w, 1 - 0.25 / fig_h, suptitle, ha='left',
             va='center', fontsize=_SUPTITLE_FONT)
    top = fig_h - sup_h
    for r in range(nrows):
        top -= _TITLE_H
        for c in range(ncols):
            i = r * ncols + c
            if i >= len(panels):
                break
            gene, red, ptitle, rows, arc_w, width, height, fb = panels[i]
            left = _GAP + c * (col_w + _GAP)
            bottom = top - row_h[r]
            ax = fig.add_axes((left / fig_w, (top - height) / fig_h,
                               col_w / fig_w, height / fig_h))
            ax.set_xlim(0, col_w)
            ax.set_ylim(0, height)
            ax.axis('off')
            _draw_panel(ax, rows, gene, arc_w, height, ptitle, red, fb)
        top = bottom - _GAP
    if out_file is not None:
        out_dir = osp.dirname(osp.abspath(out_file))
        os.makedirs(out_dir, exist_ok=True)
        fig.savefig(out_file)
    return fig


def _ranges(cells):
    """``[0, 1, 2, 5]`` -> ``'0-2, 5'``."""
    parts, start = [], cells[0]
    for a, b in zip(cells, cells[1:] + [None]):
        if b != a + 1:
            parts.append(str(start) if start == a else f'{start}-{a}')
            start = b
    return ', '.join(parts)
