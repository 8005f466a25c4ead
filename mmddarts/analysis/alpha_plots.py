"""How the op weights of a search evolved, drawn from its history
(``search_history.jsonl``, read by
:func:`mmddarts.engine.hooks.search_history.load_history`).

Curves: one panel per alpha owner (cell), one line per op = the op's weight
(sigmoid or softmax of alpha, as the search mixed them) averaged over the
cell's edges, per epoch; every op of the 12-op set (and 'none') has its own
colour and marker (:data:`OP_STYLES`). Heatmaps: the last epoch's
[edges x ops] weights of every owner, rows named as the logs name edges
(``3<-1``: from node 1 into node 3).
"""
import math
import os.path as osp

import numpy as np

from mmddarts.structures.op_sets import NONE_OP, OP_SETS

# One colour and one marker per op, fixed across plots and op sets: the 7
# DARTS ops first (tab10), then DARTOpti's 5 extra ops and 'none'.
OP_STYLES = {
    'max_pool_3x3': ('#1f77b4', 'o'),
    'avg_pool_3x3': ('#ff7f0e', 's'),
    'skip_connect': ('#2ca02c', '^'),
    'sep_conv_3x3': ('#d62728', 'v'),
    'sep_conv_5x5': ('#9467bd', 'D'),
    'dil_conv_3x3': ('#8c564b', 'P'),
    'dil_conv_5x5': ('#e377c2', 'X'),
    'conv_3x1_1x3': ('#7f7f7f', '<'),
    'conv_7x1_1x7': ('#bcbd22', '>'),
    'simple_conv_1x1': ('#17becf', 'p'),
    'simple_conv_3x3': ('#000000', 'h'),
    'bottleneck_1x3x1': ('#aec7e8', '*'),
    'none': ('#ffbb78', 'd'),
}
_SPARE_MARKERS = ('1', '2', '3', '4', '+', 'x', '|', '_', '8', 'H')


def op_style(op, index):
    """``(colour, marker)`` of ``op``; ops outside :data:`OP_STYLES`
    (``op3`` when the op set is unknown) get distinct spare ones."""
    if op in OP_STYLES:
        return OP_STYLES[op]
    import matplotlib
    color = matplotlib.colormaps['tab20'](index % 20)
    return color, _SPARE_MARKERS[index % len(_SPARE_MARKERS)]


def edge_names(num_edges):
    """``['2<-0', '2<-1', '3<-0', ...]`` for a cell of ``num_edges`` edges
    in DARTS' order (node ``2+i`` takes edges from nodes ``0 .. i+1``);
    ``edge k`` when the count is not that of a DARTS cell."""
    names, to = [], 2
    while len(names) < num_edges:
        names += [f'{to}<-{src}' for src in range(to)]
        to += 1
    if len(names) != num_edges:
        return [f'edge {k}' for k in range(num_edges)]
    return names


def work_dir_of(history):
    """The folder of the history (the search's work dir)."""
    return history if osp.isdir(history) else \
        osp.dirname(osp.abspath(history))


def output_path(history, path, default):
    """``path`` when given, else ``default`` inside the work dir."""
    return path if path else osp.join(work_dir_of(history), default)


def op_weights(alpha, mixing):
    a = np.asarray(alpha, dtype=np.float64)
    if mixing == 'softmax':
        e = np.exp(a - a.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    return 1.0 / (1.0 + np.exp(-a))


def op_names_of(record, num_ops):
    """Op names from the genotypes' op set when they match the columns."""
    for geno in record.get('genotypes', {}).values():
        names = tuple(OP_SETS.get(geno.get('op_set', 'darts'), ()))
        if len(names) == num_ops:
            return names
        if len(names) + 1 == num_ops:
            return (NONE_OP, ) + names
    return tuple(f'op{i}' for i in range(num_ops))


def _grid(n):
    cols = min(4, n)
    return int(math.ceil(n / cols)), cols


def alpha_curves_figure(records, owners=None):
    """The curves as a matplotlib Figure (no pyplot state)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator
    names = owners or records[-1]['owners']
    epochs = [r['epoch'] for r in records]
    first = np.asarray(records[-1]['alphas'][names[0]])
    ops = op_names_of(records[-1], first.shape[-1])
    rows, cols = _grid(len(names))
    fig = Figure(figsize=(4 * cols, 3 * rows))
    axes = fig.subplots(rows, cols, squeeze=False, sharey=True)
    for ax, name in zip(axes.flat, names):
        curves = np.stack([
            op_weights(r['alphas'][name], r.get('mixing', 'sigmoid')).mean(0)
            for r in records
        ])  # [epochs, ops]
        for o, op in enumerate(ops):
            color, marker = op_style(op, o)
            ax.plot(epochs, curves[:, o], color=color, marker=marker, ms=4,
                    lw=1, label=op)
        ax.set_title(name)
        ax.set_xlabel('epoch')
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(names):]:
        ax.axis('off')
    axes[0][0].set_ylabel('mean op weight over edges')
    axes[0][0].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def plot_alpha_curves(records, out, owners=None):
    alpha_curves_figure(records, owners).savefig(out, dpi=100)


def alpha_heatmaps_figure(record, owners=None):
    """The last-epoch [edges x ops] heatmaps as a matplotlib Figure."""
    from matplotlib.figure import Figure
    names = owners or record['owners']
    first = np.asarray(record['alphas'][names[0]])
    ops = op_names_of(record, first.shape[-1])
    rows, cols = _grid(len(names))
    edges = edge_names(first.shape[0])
    # 0.2 in per edge row and per op column: 8-pt labels fit
    panel_w = 1.6 + 0.2 * len(ops)
    panel_h = 1.9 + 0.2 * len(edges)
    fig = Figure(figsize=(panel_w * cols + 1, panel_h * rows),
                 constrained_layout=True)
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, name in zip(axes.flat, names):
        w = op_weights(record['alphas'][name], record.get('mixing', 'sigmoid'))
        im = ax.imshow(w, vmin=0, vmax=1, cmap='viridis', aspect='auto')
        ax.set_title(f'{name} (epoch {record["epoch"]})', fontsize=9)
        ax.set_xticks(range(len(ops)))
        ax.set_xticklabels(ops, rotation=90, fontsize=8)
        ax.set_yticks(range(len(edges)))
        ax.set_yticklabels(edges, fontsize=8)
        ax.set_ylabel('edge (to<-from)')
    for ax in axes.flat[len(names):]:
        ax.axis('off')
    fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.6)
    return fig


def plot_alpha_heatmaps(record, out, owners=None):
    alpha_heatmaps_figure(record, owners).savefig(out, dpi=100)
