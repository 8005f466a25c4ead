"""Draw a genotype file (JSON or legacy text) as a PNG of its cells.

Usage::

    python tools/draw_genotype.py configs/genotypes/do2-resnet18_c100.json \
        [--out work_dirs/do2-resnet18_c100.png] [--per-cell] [--ncols 4]
"""
import argparse
import os.path as osp
import sys


from mmddarts.structures import GenotypeError
from mmddarts.visualization.genotype_drawer import (
    cell_groups, draw_genotype)
from mmddarts.structures.loading import load_genotype


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Draw a genotype as a PNG.')
    parser.add_argument('genotype', help='genotype file (.json or legacy '
                        'Genotype(...) text)')
    parser.add_argument('--out', help='output image (default: the genotype '
                        'path with .png)')
    parser.add_argument('--per-cell', action='store_true',
                        help='one panel per cell position instead of one '
                        'per distinct cell')
    parser.add_argument('--ncols', type=int, default=None,
                        help='panels per row (default: up to 4)')
    parser.add_argument('--dpi', type=int, default=120)
    parser.add_argument('--full-names', action='store_true',
                        help='label edges with full op names')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        genotype = load_genotype(args.genotype)
    except (GenotypeError, OSError, ValueError) as err:
        # one line: a missing, unreadable or malformed file
        sys.exit(f'error: {" ".join(str(err).split())}')
    out = args.out or osp.splitext(args.genotype)[0] + '.png'
    draw_genotype(genotype, out, per_cell=args.per_cell, ncols=args.ncols,
                  dpi=args.dpi, short_names=not args.full_names)
    panels = len(cell_groups(genotype, args.per_cell))
    print(f'{out}: {panels} panel(s) for {genotype.num_cells} cells')


if __name__ == '__main__':
    main()
