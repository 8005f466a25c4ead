"""Plot each cell's marginal contribution (and ablation loss) over a search.

    python tools/analysis_tools/plot_contributions.py WORK_DIR \
        [--out contributions.png]

Without ``--out`` the PNG goes to the work dir: ``WORK_DIR/contributions.png``.

Left: each cell's ``mc_i`` per epoch; right: the last epoch's ``mc`` (and
``labl``) as bars (:mod:`mmddarts.analysis.contribution_plots`). Searches run
with ``ablation='none'`` log no contributions and are refused.
"""
import argparse

from mmddarts.analysis.alpha_plots import output_path
from mmddarts.analysis.contribution_plots import plot_contributions
from mmddarts.engine.hooks.search_history import (SearchHistoryError,
                                                  load_history)
from mmddarts.utils.cli_args import add_history_args


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_history_args(p, 'contributions.png')
    args = p.parse_args(argv)
    out = output_path(args.history, args.out, 'contributions.png')
    try:
        plot_contributions(load_history(args.history), out)
    except SearchHistoryError as err:
        raise SystemExit(str(err))
    print(f'wrote {out}')


if __name__ == '__main__':
    main()
