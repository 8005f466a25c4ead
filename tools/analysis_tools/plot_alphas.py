"""Plot how the op weights of a search evolved, from its history file.

    python tools/analysis_tools/plot_alphas.py WORK_DIR \
        [--out alphas.png] [--heatmap final_alphas.png] [--owners 0 3]

Curves: one panel per alpha owner (cell), one line per op = the op's weight
(sigmoid or softmax of alpha, as the search mixed them) averaged over the
cell's edges, per epoch; every op of the 12-op set (and 'none') has its own
colour and marker. ``--heatmap`` also draws the last epoch's [edges x ops]
weights of every owner, rows named as the logs name edges (``3<-1``: from
node 1 into node 3). Without ``--out`` the curves go to the search's work dir
(the history file's folder): ``WORK_DIR/alphas.png``. The drawing lives in
:mod:`mmddarts.analysis.alpha_plots`.
"""
import argparse

from mmddarts.analysis.alpha_plots import (output_path, plot_alpha_curves,
                                           plot_alpha_heatmaps)
from mmddarts.engine.hooks.search_history import (SearchHistoryError,
                                                  load_history)
from mmddarts.utils.cli_args import add_history_args


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_history_args(p, 'alphas.png')
    p.add_argument('--heatmap', help='also draw last-epoch heatmaps here')
    p.add_argument('--owners', nargs='+', type=int,
                   help='owner (cell) indices to plot; default all')
    return p.parse_args(argv)


def read_records(history):
    """The history's records; exits with one line when it cannot be read."""
    try:
        return load_history(history)
    except SearchHistoryError as err:
        raise SystemExit(str(err))


def main(argv=None):
    args = parse_args(argv)
    records = read_records(args.history)
    owners = None
    if args.owners is not None:
        all_names = records[-1]['owners']
        bad = [i for i in args.owners if not 0 <= i < len(all_names)]
        if bad:
            raise SystemExit(f'--owners {bad}: the search has owners '
                             f'0..{len(all_names) - 1}')
        owners = [all_names[i] for i in args.owners]
    out = output_path(args.history, args.out, 'alphas.png')
    plot_alpha_curves(records, out, owners)
    print(f'wrote {out}')
    if args.heatmap:
        heatmap = args.heatmap
        plot_alpha_heatmaps(records[-1], heatmap, owners)
        print(f'wrote {heatmap}')


if __name__ == '__main__':
    main()
