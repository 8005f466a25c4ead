"""Draw a genotype as a grid of cell graphs (matplotlib, no graphviz).

One panel per distinct cell: cells that share a gene *and* a role (normal or
reduction) are drawn once, titled with every position that uses it, so a
13-cell Xception takes 4 panels while D-DARTS' 8 individual cells take 8.
``per_cell=True`` draws one panel per cell position instead.

Layout of a panel: the inputs ``c_{k-2}``, ``c_{k-1}`` on the left, the
intermediate nodes in a column-per-node zig-zag, the output ``c_{k}`` on the
right; each edge is labelled with its op (several ops on the same pair of
nodes are stacked in one label, as they are summed).
"""
import math
import os
import os.path as osp

from mmddarts.structures import Genotype

_COLORS = {
    'input': '#9ecae1',
    'node': '#fdd49e',
    'output': '#a1d99b',
    'reduction': '#e6550d',
    'normal': '#3182bd',
}


# Short edge labels (self-explanatory, and they fit between two nodes).
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

_DX = 1.6  # column spacing: room for an op label between two nodes


def cell_groups(genotype, per_cell=False):
    """``[(gene_index, is_reduction, [cell positions])]`` in first-use
    order: the panels :func:`draw_genotype` draws."""
    genotype = Genotype.from_any(genotype)
    if per_cell:
        return [(genotype.seq[c], genotype.is_reduction(c), [c])
                for c in range(genotype.num_cells)]
    groups = {}
    for c in range(genotype.num_cells):
        key = (genotype.seq[c], genotype.is_reduction(c))
        groups.setdefault(key, []).append(c)
    return [(g, red, cells) for (g, red), cells in groups.items()]


def _node_positions(steps):
    """Node centres in equal-aspect units (``_DX`` units per column)."""
    pos = {0: (0.0, 0.6), 1: (0.0, -0.6)}
    for i in range(steps):
        # zig-zag so that edges between consecutive nodes do not overlap
        pos[i + 2] = (_DX * (1 + i), 0.55 if i % 2 == 0 else -0.55)
    pos['out'] = (_DX * (steps + 1), 0.0)
    return pos


def _bend(p0, p1):
    """Arc curvature: edges between two upper nodes bulge upwards, between
    two lower nodes downwards, so long edges go round the nodes between."""
    (x0, y0), (x1, y1) = p0, p1
    if x1 - x0 <= _DX + 1e-6:
        return 0.0
    side = (y0 > 0) + (y1 > 0)  # 2: both up, 0: both down
    strength = 1.3 / (x1 - x0)  # about the same bulge for any length
    return {2: -strength, 0: strength}.get(side, 0.35 * strength)


def _draw_cell(ax, gene, steps, title, reduction, short=True):
    import matplotlib.patches as mpatches
    pos = _node_positions(steps)
    radius = 0.27
    used = sorted({e.to for e in gene})
    ops_by_pair = {}
    for e in gene:
        name = SHORT_OP_NAMES.get(e.op, e.op) if short else e.op
        ops_by_pair.setdefault((e.src, e.to), []).append(name)

    def arrow(a, b, color, label=None):
        (x0, y0), (x1, y1) = pos[a], pos[b]
        rad = _bend(pos[a], pos[b]) if label else 0.0
        ax.annotate('', xy=(x1, y1), xytext=(x0, y0), zorder=1,
                    arrowprops=dict(arrowstyle='-|>', color=color, lw=0.9,
                                    shrinkA=13, shrinkB=13,
                                    connectionstyle=f'arc3,rad={rad}'))
        if label:
            # midpoint of the quadratic curve that arc3 draws
            dx, dy = x1 - x0, y1 - y0
            mx = (x0 + x1) / 2 + rad * dy / 2
            my = (y0 + y1) / 2 - rad * dx / 2
            ax.text(mx, my, label, fontsize=7, ha='center', va='center',
                    zorder=2, linespacing=1.0,
                    bbox=dict(boxstyle='round,pad=0.1', fc='white',
                              ec='none', alpha=0.8))

    for node in used:
        arrow(node, 'out', '#c0c0c0')
    for (src, to), ops in sorted(ops_by_pair.items()):
        arrow(src, to, '#444444', '\n'.join(ops))

    def circle(key, text, color):
        x, y = pos[key]
        ax.add_patch(mpatches.Circle((x, y), radius, fc=color, ec='black',
                                     lw=0.8, zorder=3))
        ax.text(x, y, text, ha='center', va='center', fontsize=9, zorder=4)

    circle(0, 'c$_{k-2}$', _COLORS['input'])
    circle(1, 'c$_{k-1}$', _COLORS['input'])
    for i in range(steps):
        color = _COLORS['node'] if i + 2 in used else '#eeeeee'
        circle(i + 2, str(i), color)
    circle('out', 'c$_{k}$', _COLORS['output'])
    ax.set_xlim(-0.4, _DX * (steps + 1) + 0.4)
    ax.set_ylim(-1.5, 1.5)
    ax.set_aspect('equal')
    ax.axis('off')
    color = _COLORS['reduction'] if reduction else _COLORS['normal']
    ax.set_title(title, fontsize=10, color=color,
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

    genotype = Genotype.from_any(genotype)
    groups = cell_groups(genotype, per_cell)
    ncols = ncols or min(4, len(groups))
    nrows = math.ceil(len(groups) / ncols)
    panel_w = 0.7 * (_DX * (genotype.steps + 1) + 0.8)
    fig = Figure(figsize=(panel_w * ncols, 2.5 * nrows + 0.6), dpi=dpi)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax, (g, red, cells) in zip(axes.flat, groups):
        kind = 'reduction' if red else 'normal'
        where = 'cell' if len(cells) == 1 else 'cells'
        _draw_cell(ax, genotype.genes[g], genotype.steps,
                   f'{kind} - {where} {_ranges(cells)} (gene {g})', red,
                   short_names)
    for ax in list(axes.flat)[len(groups):]:
        ax.axis('off')
    meta = genotype.meta
    title = title or meta.get('paper_name') or meta.get('source_file') \
        or meta.get('baseline') or 'genotype'
    fig.suptitle(f'{title}: {genotype.num_cells} cells, reductions '
                 f'{list(genotype.reductions)}, op set {genotype.op_set}',
                 fontsize=13)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
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
