"""Compare search methods with random architectures at the same budget.

    # the grid (each cell independent, resumable; run copies side by side on
    # disjoint --methods / --seeds, on one machine or many)
    OMP_NUM_THREADS=1 python tools/analysis_tools/compare_search_methods.py \
        run --methods ddarts darts fairdarts random --seeds 0 1 2 \
        --num-random 5 --work-dir work_dirs/compare_fmnist \
        [--search-epochs N] [--train-epochs N] [--train-config CONFIG] \
        [--train-options KEY=VALUE ...] [--search-options KEY=VALUE ...]
    # the table and the plot, from any number of work dirs
    python tools/analysis_tools/compare_search_methods.py aggregate \
        work_dirs/compare_fmnist [MORE_DIRS ...] [--out-dir DIR]

Methods: ``ddarts``, ``darts``, ``fairdarts`` (the Fashion-MNIST search
configs), ``random`` (``--num-random`` architectures drawn uniformly by
``mmddarts.structures.random_genotype``, cell layout of ``--reference``'s
supernet), or ``NAME=CONFIG:PARSE`` for any search config. The logic lives
in :mod:`mmddarts.analysis.compare_search_methods`.
"""
import argparse
import sys

from mmddarts.analysis.compare_search_methods import (GridRunner, aggregate,
                                                      parse_method_spec)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='step', required=True)
    run = sub.add_parser('run', help='search / train / test grid cells')
    run.add_argument('--methods', nargs='+',
                     default=['ddarts', 'darts', 'fairdarts', 'random'])
    run.add_argument('--seeds', nargs='+', type=int, default=[0])
    run.add_argument('--num-random', type=int, default=5,
                     help='random architectures (seeds 0..N-1)')
    run.add_argument('--random-seeds', type=int, nargs='+', default=None,
                     help='these random architectures instead of '
                     '0..N-1 (to split them over machines)')
    run.add_argument('--random-parse', default='darts',
                     choices=['darts', 'sparse', 'edge'],
                     help='parse method whose genes are sampled')
    run.add_argument('--reference', default='ddarts',
                     help='method whose supernet gives the random '
                     "architectures' cells, nodes and reductions")
    run.add_argument('--train-config',
                     default='configs/train/ddarts_fmnist.py')
    run.add_argument('--search-epochs', type=int, default=None)
    run.add_argument('--train-epochs', type=int, default=None)
    run.add_argument('--train-options', nargs='*', default=[],
                     metavar='KEY=VALUE')
    run.add_argument('--search-options', nargs='*', default=[],
                     metavar='KEY=VALUE')
    run.add_argument('--input-size', type=int, default=32,
                     help='image side for the FLOPs count')
    run.add_argument('--work-dir', default='work_dirs/compare_search_methods')
    agg = sub.add_parser('aggregate', help='summarise finished cells')
    agg.add_argument('work_dirs', nargs='+')
    agg.add_argument('--out-dir', default=None,
                     help='default: the first work dir')
    agg.add_argument('--no-plot', action='store_true')
    args = parser.parse_args(argv)
    if args.step == 'run':
        try:
            for spec in args.methods:
                parse_method_spec(spec)
        except ValueError as err:
            parser.error(str(err))
        for name in ('search_epochs', 'train_epochs'):
            value = getattr(args, name)
            if value is not None and value < 1:
                parser.error(f'--{name.replace("_", "-")} must be >= 1')
        if args.num_random < 0:
            parser.error('--num-random must be >= 0')
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.step == 'run':
        runner = GridRunner(
            args.work_dir, args.methods, args.train_config,
            search_epochs=args.search_epochs, train_epochs=args.train_epochs,
            random_parse=args.random_parse, reference=args.reference,
            train_options=args.train_options,
            search_options=args.search_options, input_size=args.input_size)
        runner.run(args.seeds, args.random_seeds if args.random_seeds
                   is not None else args.num_random)
        return 0
    try:
        text = aggregate(args.work_dirs, args.out_dir or args.work_dirs[0],
                         make_plot=not args.no_plot)
    except (ValueError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
