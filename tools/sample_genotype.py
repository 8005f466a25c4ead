"""Sample random genotypes: the random-architecture baseline.

Usage::

    python tools/sample_genotype.py --num 5 --out-dir work_dirs/random \
        [--num-cells 5] [--steps 3] [--method darts] [--op-set darts] \
        [--shared] [--seed 0]

Writes ``random_<seed>.json`` for the seeds ``seed .. seed+num-1``, each
drawn uniformly from the genes the parse method ``--method`` can return
(:mod:`mmddarts.structures.random_genotype`). Train one with
``--cfg-options model.backbone.genotype=<file>``.
"""
import argparse
import os
import os.path as osp
import sys

from mmddarts.structures.parsing import PARSE_METHODS
from mmddarts.structures.random_genotype import sample_genotype
from mmddarts.structures.op_sets import OP_SETS


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Sample random genotypes (uniform over a parse '
        "method's genes).")
    parser.add_argument('--num', type=int, default=1,
                        help='how many genotypes (seeds seed..seed+num-1)')
    parser.add_argument('--seed', type=int, default=0, help='first seed')
    parser.add_argument('--num-cells', type=int, default=8)
    parser.add_argument('--steps', type=int, default=4,
                        help='intermediate nodes per cell')
    parser.add_argument('--method', default='darts', choices=PARSE_METHODS,
                        help='parse method whose genes are sampled')
    parser.add_argument('--op-set', default='darts', choices=sorted(OP_SETS))
    parser.add_argument('--shared', action='store_true',
                        help='one normal + one reduction gene (DARTS '
                        'layout) instead of one gene per cell')
    parser.add_argument('--reductions', type=int, nargs='+', default=None,
                        help='reduction cells (default N//3, 2N//3)')
    parser.add_argument('--out-dir', default=osp.join('work_dirs', 'random'))
    args = parser.parse_args(argv)
    if args.num < 1:
        parser.error(f'--num must be >= 1, got {args.num}')
    return args


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out_dir, exist_ok=True)
    for seed in range(args.seed, args.seed + args.num):
        try:
            g = sample_genotype(num_cells=args.num_cells, steps=args.steps,
                                method=args.method, op_set=args.op_set,
                                shared=args.shared,
                                reductions=args.reductions, seed=seed)
        except ValueError as err:
            print(f'sample_genotype: {err}', file=sys.stderr)
            return 1
        path = osp.join(args.out_dir, f'random_{seed}.json')
        g.save(path)
        print(f'{path}: {sum(len(g.gene(i)) for i in range(g.num_cells))} '
              f'ops in {g.num_cells} cells')
    return 0


if __name__ == '__main__':
    sys.exit(main())
