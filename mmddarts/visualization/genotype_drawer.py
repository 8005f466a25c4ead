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
    pos = {0: (0.0, 0.75), 1: (0.0, 0.25)}
    for i in range(steps):
        # zig-zag so that edges between consecutive nodes do not overlap
        pos[i + 2] = (1.0 + i, 0.72 if i % 2 == 0 else 0.28)
    pos['out'] = (steps + 1.0, 0.5)
    return pos


def _draw_cell(ax, gene, steps, title, reduction):
    import matplotlib.patches as mpatches
    pos = _node_positions(steps)
    used = sorted({e.to for e in gene})
    ops_by_pair = {}
    for e in gene:
        ops_by_pair.setdefault((e.src, e.to), []).append(e.op)

    def arrow(a, b, color, label=None, rad=0.0):
        (x0, y0), (x1, y1) = pos[a], pos[b]
        ax.annotate('', xy=(x1, y1), xytext=(x0, y0),
                    arrowprops=dict(arrowstyle='-|>', color=color, lw=1.0,
                                    shrinkA=14, shrinkB=14,
                                    connectionstyle=f'arc3,rad={rad}'))
        if label:
            # put the label on the curve's midpoint (offset by the arc)
            mx, my = (x0 + x1) / 2, (y0 + y1) / 2
            dx, dy = x1 - x0, y1 - y0
            mx, my = mx + rad * dy / 2, my - rad * dx / 2
            ax.text(mx, my, label, fontsize=6, ha='center', va='center',
                    bbox=dict(boxstyle='round,pad=0.15', fc='white',
                              ec='none', alpha=0.85))

    for (src, to), ops in sorted(ops_by_pair.items()):
        span = to - src
        rad = 0.0 if span <= 1 and src >= 2 else 0.25 * (1 if to % 2 else -1)
        arrow(src, to, '#555555', '\n'.join(ops), rad)
    for node in used:
        arrow(node, 'out', '#bbbbbb')

    def circle(key, text, color):
        x, y = pos[key]
        ax.add_patch(mpatches.Circle((x, y), 0.13, fc=color, ec='black',
                                     lw=0.8, zorder=3))
        ax.text(x, y, text, ha='center', va='center', fontsize=7, zorder=4)

    circle(0, 'c$_{k-2}$', _COLORS['input'])
    circle(1, 'c$_{k-1}$', _COLORS['input'])
    for i in range(steps):
        color = _COLORS['node'] if i + 2 in used else '#eeeeee'
        circle(i + 2, str(i), color)
    circle('out', 'c$_{k}$', _COLORS['output'])
    ax.set_xlim(-0.4, steps + 1.4)
    ax.set_ylim(-0.1, 1.1)
    ax.set_aspect('auto')
    ax.axis('off')
    color = _COLORS['reduction'] if reduction else _COLORS['normal']
    ax.set_title(title, fontsize=8, color=color,
                 fontweight='bold' if reduction else 'normal')


def draw_genotype(genotype, out_file=None, per_cell=False, ncols=None,
                  title=None, dpi=120):
    """Draw ``genotype`` and return the matplotlib figure.

    Args:
        genotype: a :class:`Genotype`, dict or path.
        out_file: write the figure there (PNG by extension) when given.
        per_cell: one panel per cell position instead of per distinct cell.
        ncols: panels per row (default: up to 4).
        title: figure title (default: the genotype's source or paper name).
    """
    # A plain Figure, not pyplot: no global backend change, no GUI, and
    # drawing in a loop leaks no figures; savefig renders with Agg.
    from matplotlib.figure import Figure

    genotype = Genotype.from_any(genotype)
    groups = cell_groups(genotype, per_cell)
    ncols = ncols or min(4, len(groups))
    nrows = math.ceil(len(groups) / ncols)
    panel_w = 0.9 * (genotype.steps + 2)
    fig = Figure(figsize=(panel_w * ncols, 2.6 * nrows + 0.5), dpi=dpi)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax, (g, red, cells) in zip(axes.flat, groups):
        kind = 'reduction' if red else 'normal'
        where = 'cell' if len(cells) == 1 else 'cells'
        _draw_cell(ax, genotype.genes[g], genotype.steps,
                   f'{kind} - {where} {_ranges(cells)} (gene {g})', red)
    for ax in list(axes.flat)[len(groups):]:
        ax.axis('off')
    meta = genotype.meta
    title = title or meta.get('paper_name') or meta.get('source_file') \
        or meta.get('baseline') or 'genotype'
    fig.suptitle(f'{title}: {genotype.num_cells} cells, reductions '
                 f'{list(genotype.reductions)}, op set {genotype.op_set}',
                 fontsize=10)
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
