"""Plot how the op weights of a search evolved, from its history file.

    python tools/analysis_tools/plot_alphas.py WORK_DIR \
        --out alphas.png [--heatmap final_alphas.png] [--owners 0 3]

Curves: one panel per alpha owner (cell), one line per op = the op's weight
(sigmoid or softmax of alpha, as the search mixed them) averaged over the
cell's edges, per epoch. ``--heatmap`` also draws the last epoch's
[edges x ops] weights of every owner.
"""
import argparse
import json
import math
import os.path as osp

import numpy as np


HISTORY_FILE = 'search_history.jsonl'


def load_history(path):
    """The records of a ``search_history.jsonl`` file (or of the one in the
    work dir ``path``), sorted by epoch (a resumed search may have rewritten
    epochs: the last record wins)."""
    if osp.isdir(path):
        path = osp.join(path, HISTORY_FILE)
    if not osp.isfile(path):
        raise SystemExit(f'{path}: no such history file (a search writes '
                         f'{HISTORY_FILE} into its work dir)')
    by_epoch = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as err:
                raise SystemExit(f'{path}:{n}: not JSON ({err.msg})')
            if 'epoch' not in rec or 'alphas' not in rec:
                raise SystemExit(f'{path}:{n}: a history record needs '
                                 "'epoch' and 'alphas'")
            by_epoch[rec['epoch']] = rec
    if not by_epoch:
        raise SystemExit(f'{path}: empty history')
    return [by_epoch[k] for k in sorted(by_epoch)]


def op_weights(alpha, mixing):
    a = np.asarray(alpha, dtype=np.float64)
    if mixing == 'softmax':
        e = np.exp(a - a.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    return 1.0 / (1.0 + np.exp(-a))


def op_names_of(record, num_ops):
    """Op names from the genotypes' op set when they match the columns."""
    from mmddarts.structures.op_sets import NONE_OP, OP_SETS
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


def plot_alpha_curves(records, out, owners=None):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    names = owners or records[-1]['owners']
    epochs = [r['epoch'] for r in records]
    first = np.asarray(records[-1]['alphas'][names[0]])
    ops = op_names_of(records[-1], first.shape[-1])
    rows, cols = _grid(len(names))
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3 * rows),
                             squeeze=False, sharey=True)
    for ax, name in zip(axes.flat, names):
        curves = np.stack([
            op_weights(r['alphas'][name], r.get('mixing', 'sigmoid')).mean(0)
            for r in records
        ])  # [epochs, ops]
        for o, op in enumerate(ops):
            ax.plot(epochs, curves[:, o], marker='.', label=op)
        ax.set_title(name)
        ax.set_xlabel('epoch')
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(names):]:
        ax.axis('off')
    axes[0][0].set_ylabel('mean op weight over edges')
    axes[0][0].legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def plot_alpha_heatmaps(record, out, owners=None):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    names = owners or record['owners']
    first = np.asarray(record['alphas'][names[0]])
    ops = op_names_of(record, first.shape[-1])
    rows, cols = _grid(len(names))
    fig, axes = plt.subplots(rows, cols, figsize=(3.5 * cols, 4.5 * rows),
                             squeeze=False, constrained_layout=True)
    for ax, name in zip(axes.flat, names):
        w = op_weights(record['alphas'][name], record.get('mixing', 'sigmoid'))
        im = ax.imshow(w, vmin=0, vmax=1, cmap='viridis', aspect='auto')
        ax.set_title(f'{name} (epoch {record["epoch"]})', fontsize=8)
        ax.set_xticks(range(len(ops)))
        ax.set_xticklabels(ops, rotation=90, fontsize=6)
        ax.set_ylabel('edge')
    for ax in axes.flat[len(names):]:
        ax.axis('off')
    fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.6)
    fig.savefig(out, dpi=100)
    plt.close(fig)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('history', help='work dir of a search, or its '
                   'search_history.jsonl')
    p.add_argument('--out', default='alphas.png', help='curves PNG')
    p.add_argument('--heatmap', help='also draw last-epoch heatmaps here')
    p.add_argument('--owners', nargs='+', type=int,
                   help='owner (cell) indices to plot; default all')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    records = load_history(args.history)
    owners = None
    if args.owners is not None:
        all_names = records[-1]['owners']
        bad = [i for i in args.owners if not 0 <= i < len(all_names)]
        if bad:
            raise SystemExit(f'--owners {bad}: the search has owners '
                             f'0..{len(all_names) - 1}')
        owners = [all_names[i] for i in args.owners]
    plot_alpha_curves(records, args.out, owners)
    print(f'wrote {args.out}')
    if args.heatmap:
        plot_alpha_heatmaps(records[-1], args.heatmap, owners)
        print(f'wrote {args.heatmap}')


if __name__ == '__main__':
    main()
