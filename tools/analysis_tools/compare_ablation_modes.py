"""Compare the ablation modes of a D-DARTS search: search, train, test.

    OMP_NUM_THREADS=1 python tools/analysis_tools/compare_ablation_modes.py \
        [--modes exact reference none] [--seeds 0 1 2 3 4] \
        [--search-epochs N] [--train-epochs 10] [--work-dir DIR] \
        [--aggregate-only]

For every mode and seed it runs the offline digits search
(``configs/search/ddarts_digits.py`` with
``model.arch_strategy.ablation=<mode>`` and ``randomness.seed=<seed>``)
through ``tools/train.py``, trains the searched
``sparse`` genotype with ``configs/train/ddarts_digits.py`` (all its cells,
same seed) and reads the test accuracy of the last epoch (the digits
``val_dataloader`` is the held-out test split, evaluated after every epoch;
no checkpoint is chosen on it). Then it reports per mode the mean ± sample
std of the test accuracy and of the parameter count (without the auxiliary
head, as ``get_flops.py``), and the architecture distance
(:mod:`mmddarts.structures.distance`, packaged scores, ``align='pad'``) between
the genotypes: of two modes with the same seed (same initial alphas, data
order and augmentations) and, as the noise floor, of two seeds of one mode.

Every finished run is appended to ``<work-dir>/runs.jsonl``; a rerun skips
the runs already recorded there, so an interrupted comparison resumes.
Several copies can run side by side on disjoint ``--modes`` / ``--seeds``
with their own ``--work-dir``; ``--aggregate-only --runs-from DIR ...``
then summarises them together.
The summary goes to ``<work-dir>/summary.md`` and ``summary.json``.
"""
import argparse
import json
import os
import os.path as osp
import sys

from mmddarts.analysis.ablation_modes import (MODES, TRAIN_EPOCHS, budget_text,
                                              distance_summary,
                                              load_run_genotypes, markdown,
                                              one_run, plan, read_runs,
                                              select_runs, summarise)
from mmddarts.structures.distance import genotype_distance

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--modes', nargs='+', default=list(MODES),
                        help=f'ablation modes to compare ({", ".join(MODES)})')
    parser.add_argument('--seeds', nargs='+', type=int,
                        default=[0, 1, 2, 3, 4],
                        help='seeds of the search and of the training')
    parser.add_argument('--search-config',
                        default='configs/search/ddarts_digits.py')
    parser.add_argument('--train-config',
                        default='configs/train/ddarts_digits.py')
    parser.add_argument('--search-epochs', type=int, default=None,
                        help="override the search config's epochs")
    parser.add_argument('--train-epochs', type=int, default=None,
                        help='epochs of the derived network (default: the '
                        'demo\'s 10; with --aggregate-only, the budget of '
                        'the recorded runs when they have only one)')
    parser.add_argument('--method', default='sparse',
                        choices=['sparse', 'edge', 'darts'],
                        help='parse of the genotype to train')
    parser.add_argument('--work-dir',
                        default=osp.join('work_dirs',
                                         'compare_ablation_modes'))
    parser.add_argument('--aggregate-only', action='store_true',
                        help='only summarise the runs already recorded')
    parser.add_argument('--runs-from', nargs='+', default=[],
                        metavar='DIR',
                        help='also summarise the runs recorded in these work '
                        'dirs (other copies of this tool run in parallel '
                        'on other modes / seeds)')
    args = parser.parse_args(argv)
    bad = [m for m in args.modes if m not in MODES]
    if bad:
        parser.error(f'unknown ablation mode(s) {bad}; choose from {MODES}')
    if len(set(args.modes)) != len(args.modes):
        parser.error(f'--modes repeats a mode: {args.modes}')
    if len(set(args.seeds)) != len(args.seeds):
        parser.error(f'--seeds repeats a seed: {args.seeds}')
    for name in ('search_epochs', 'train_epochs'):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1, '
                         f'got {value}')
    # whether the budget was given (--aggregate-only may take the runs')
    args.budget_given = args.search_epochs is not None or \
        args.train_epochs is not None
    if args.train_epochs is None:
        args.train_epochs = TRAIN_EPOCHS
    return args


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.work_dir, exist_ok=True)
    runs_path = osp.join(args.work_dir, 'runs.jsonl')
    runs = read_runs(runs_path)
    extra = [r for d in args.runs_from
             for r in read_runs(osp.join(d, 'runs.jsonl'))]
    if not args.aggregate_only:
        done = [(r['mode'], r['seed']) for r in runs
                if r.get('search_epochs') == args.search_epochs
                and r.get('train_epochs') == args.train_epochs]
        for mode, seed in plan(args.modes, args.seeds, done):
            record = one_run(args, mode, seed, ROOT)
            print(f'{mode} seed {seed}: test top-1 {record["test_acc"]:.2f}%,'
                  f' {record["params"]:,} parameters', flush=True)
            with open(runs_path, 'a') as f:
                f.write(json.dumps(record) + '\n')
            runs.append(record)
    if args.aggregate_only and not args.budget_given:
        # no budget given: the recorded runs' own, if they share one
        budgets = {(r.get('search_epochs'), r.get('train_epochs'))
                   for r in runs + extra if r['mode'] in args.modes
                   and r['seed'] in args.seeds}
        if len(budgets) == 1:
            args.search_epochs, args.train_epochs = budgets.pop()
    runs_all = runs + extra
    runs = select_runs(runs + extra, args.modes, args.seeds,
                       args.search_epochs, args.train_epochs)
    if not runs:
        sources = [runs_path] + [osp.join(d, 'runs.jsonl')
                                 for d in args.runs_from]
        found = sorted({(r.get('search_epochs'), r.get('train_epochs'))
                        for r in runs_all}, key=str)
        print(f'no runs recorded for modes {args.modes}, seeds '
              f'{args.seeds}, search epochs {args.search_epochs}, train '
              f'epochs {args.train_epochs} in {", ".join(sources)}'
              + (f'; recorded budgets (search, train epochs): {found}: '
                 'pass --search-epochs / --train-epochs' if found else ''),
              file=sys.stderr)
        return 1

    genotypes = load_run_genotypes(runs, ROOT)
    summary = summarise(runs, args.modes)
    distances = distance_summary(genotypes, args.modes, genotype_distance)
    text = markdown(summary, distances, budget_text(args))
    print(text)
    with open(osp.join(args.work_dir, 'summary.md'), 'w') as f:
        f.write(text)
    with open(osp.join(args.work_dir, 'summary.json'), 'w') as f:
        json.dump(dict(summary=summary, distances=distances,
                       budget=budget_text(args)), f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
