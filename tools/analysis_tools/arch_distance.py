"""Architecture distance (D-DARTS paper section 4.5) between genotype files.

    python tools/analysis_tools/arch_distance.py A.json B.json
    python tools/analysis_tools/arch_distance.py A.json B.json C.txt \
        [--csv out.csv] [--heatmap out.png] [--scores mean|median|FILE.json]
        [--align pad|expand|truncate]

Two genotypes: prints their distance. More: prints the pairwise matrix as CSV
(header = file stems) to stdout, or writes it to ``--csv``. ``--heatmap``
writes an annotated PNG of the matrix. A genotype is one of our JSON files, a
legacy DARTS / D-DARTS ``Genotype(...)`` text file, a trained checkpoint
(``.pth``: the genotype it records) or a baseline name (``resnet18``,
``resnet50``, ``xception``).

``--scores``: the Hamming weights. ``mean`` (default) is the authors'
``op_stats.json``, the table their distance code uses (their published
distances); ``median`` the medians the paper's Table 1 reports (their
``op_stats_2.json``); or any JSON ``{op: score}`` file.
``--align``: networks of different depth: ``pad`` (default) the shorter one
with empty cells, ``expand`` both with Algorithm 1, or ``truncate`` to the
common cells (the authors' ``global_hausdorff_distance``).
"""
import argparse
import sys

from mmddarts.analysis.arch_distance import (labelled_genotype, plot_heatmap,
                                             unique_labels, write_csv)
from mmddarts.structures.distance import (ALIGN_MODES, OpScores,
                                          cell_distances, distance_matrix)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('genotypes', nargs='+',
                        help='genotype files (JSON or legacy text) or '
                        'baseline names; at least two')
    parser.add_argument('--scores', default=None,
                        help='Hamming weights: mean (default: the authors\' '
                        'op_stats.json, behind their published distances), '
                        'median (the paper\'s Table 1) or a JSON '
                        '{op: score} file')
    parser.add_argument('--align', choices=ALIGN_MODES, default='pad',
                        help='networks of different depth: pad the shorter '
                        'with empty cells, expand both with Algorithm 1, or '
                        'truncate to the common cells (the authors\' rule)')
    parser.add_argument('--common-depth', action='store_true',
                        help='pad every pair to the deepest network of the '
                        'list (keeps the triangle inequality)')
    parser.add_argument('--per-cell', action='store_true',
                        help='with two genotypes, also print each cell '
                        'distance')
    parser.add_argument('--csv', default=None, help='write the matrix here')
    parser.add_argument('--heatmap', default=None,
                        help='write an annotated heatmap PNG here')
    parser.add_argument('--precision', type=int, default=6,
                        help='decimals printed (default 6)')
    args = parser.parse_args(argv)
    if len(args.genotypes) < 2:
        parser.error('give at least two genotypes')
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        loaded = [labelled_genotype(spec) for spec in args.genotypes]
        scores = OpScores.from_any(args.scores)
        labels = unique_labels([label for label, _ in loaded])
        genos = [g for _, g in loaded]
        matrix = distance_matrix(genos, scores=scores, align=args.align,
                                 common_depth=args.common_depth,
                                 labels=args.genotypes)
    except (ValueError, KeyError, TypeError, FileNotFoundError,
            ImportError) as err:
        print(f'arch_distance: error: {err}', file=sys.stderr)
        return 1

    if len(genos) == 2:
        print(f'{matrix[0, 1]:.{args.precision}f}')
        if args.per_cell:
            cells = cell_distances(genos[0], genos[1], scores, args.align,
                                   max(g.num_cells for g in genos)
                                   if args.common_depth else None)
            for i, d in enumerate(cells):
                print(f'cell {i}: {d:.{args.precision}f}')
    elif args.csv is None:
        write_csv(matrix, labels, sys.stdout, args.precision)
    if args.csv is not None:
        with open(args.csv, 'w', newline='') as f:
            write_csv(matrix, labels, f, args.precision)
        print(f'matrix written to {args.csv}', file=sys.stderr)
    if args.heatmap is not None:
        plot_heatmap(matrix, labels, args.heatmap)
        print(f'heatmap written to {args.heatmap}', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
