"""ACA evidence grid on the digits search (docs/aca.md): DARTS vs
DARTS+ACA and D-DARTS vs D-DARTS+ACA, short and long searches, seeds.

    OMP_NUM_THREADS=1 python tools/analysis_tools/aca_grid.py \
        [--methods darts darts+aca ddarts ddarts+aca] [--epochs 4 16] \
        [--seeds 0 1 2] [--train-epochs 10] [--work-dir DIR] \
        [--search-options KEY=VALUE ...] [--train-options KEY=VALUE ...] \
        [--aggregate-only] [--runs-from DIR ...]

Each (method, epochs, seed) is one independent run appended to
``<work-dir>/runs.jsonl``; a rerun skips recorded runs (resume), copies on
other machines take other ``--methods`` / ``--seeds`` and
``--aggregate-only --runs-from ...`` summarises them together into
``<work-dir>/summary.md`` / ``summary.json``. The logic lives in
:mod:`mmddarts.analysis.aca_grid`.
"""
import argparse
import json
import os
import os.path as osp

from mmddarts.analysis import aca_grid


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--methods', nargs='+',
                        default=list(aca_grid.METHODS),
                        choices=list(aca_grid.METHODS))
    parser.add_argument('--epochs', nargs='+', type=int, default=[4, 16],
                        help='search lengths (short, long)')
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--train-epochs', type=int, default=None,
                        help="derived-network epochs (default: the train "
                        "config's)")
    parser.add_argument('--search-options', nargs='*', default=[],
                        metavar='KEY=VALUE',
                        help='--cfg-options for every search (scale)')
    parser.add_argument('--train-options', nargs='*', default=[],
                        metavar='KEY=VALUE',
                        help='--cfg-options for every training (scale)')
    parser.add_argument('--work-dir', default=osp.join('work_dirs',
                                                       'aca_grid'))
    parser.add_argument('--aggregate-only', action='store_true')
    parser.add_argument('--runs-from', nargs='+', default=[], metavar='DIR')
    args = parser.parse_args(argv)
    if any(e < 1 for e in args.epochs):
        parser.error(f'--epochs must be >= 1, got {args.epochs}')
    return args


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.work_dir, exist_ok=True)
    runs_path = osp.join(args.work_dir, 'runs.jsonl')
    runs = aca_grid.read_runs(args.work_dir)
    budget = dict(search_options=list(args.search_options),
                  train_options=list(args.train_options),
                  train_epochs=args.train_epochs)
    if not args.aggregate_only:
        done = [(r['method'], r['epochs'], r['seed']) for r in runs
                if r['budget'] == budget]
        for method, epochs, seed in aca_grid.plan(
                args.methods, args.epochs, args.seeds, done):
            rec = aca_grid.one_run(method, epochs, seed, args.work_dir,
                                   args.search_options, args.train_options,
                                   args.train_epochs)
            print(f'{method} {epochs} epochs seed {seed}: top-1 '
                  f'{rec["test_acc"]:.2f}%, skips {rec["final"]["skips"]}, '
                  f'identity {rec["final"]["identity_share"]}', flush=True)
            with open(runs_path, 'a') as f:
                f.write(json.dumps(rec) + '\n')
            runs.append(rec)
    runs += [r for d in args.runs_from for r in aca_grid.read_runs(d)]
    # this budget only; a run recorded twice (copies merged) counts once
    seen, kept = set(), []
    for r in runs:
        key = (r['method'], r['epochs'], r['seed'])
        if r['budget'] == budget and key not in seen:
            seen.add(key)
            kept.append(r)
    runs = kept
    summary = aca_grid.aggregate(runs)
    text = aca_grid.markdown(summary)
    with open(osp.join(args.work_dir, 'summary.md'), 'w') as f:
        f.write(text)
    with open(osp.join(args.work_dir, 'summary.json'), 'w') as f:
        json.dump({f'{m} {e}': s for (m, e), s in summary.items()}, f,
                  indent=1)
    print(text)
    return summary


if __name__ == '__main__':
    main()
