"""Normalisation statistics of your own image data set, computed once.

    python tools/analysis_tools/dataset_stats.py DATA_ROOT \
        [--ann-file FILE] [--data-prefix DIR] [--out FILE] [--force] \
        [--channels 1] [--dataset fashion-mnist]

Reads the data set the way ``configs/search/ddarts_custom.py`` does
(``mmddarts.ImageFolderDataset``: a folder per class, or an annotation file
of ``path label`` lines; every image decoded once, so an empty class folder,
a single class or a broken image stops here, with its path), computes the
RGB mean / std over every pixel (0..255, population std) and writes them
with the class names to ``DATA_ROOT/dataset_stats.json`` (or ``--out``).
An existing file is kept unless ``--force``: the statistics are computed
once, and ``mmddarts.StatsClsDataPreprocessor`` reads them at every run.
``--channels 1`` gives one grey mean / std (models with ``in_channels=1``).
``--dataset fashion-mnist`` reads the training idx files in DATA_ROOT
instead of an image folder (one channel; the file goes to ``--out``, by
default ``./dataset_stats.json``: the Debian folder is read-only).
"""
import argparse
import os.path as osp
import sys

from mmddarts.analysis.dataset_stats import (dataset_stats,
                                             fashion_mnist_stats, write_stats)
from mmddarts.datasets.image_stats import STATS_FILE


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('data_root', help='image folder (a folder per class)')
    p.add_argument('--ann-file', default='',
                   help='annotation file (`path label` lines), relative to '
                   'the data root; default: a folder per class')
    p.add_argument('--data-prefix', default='',
                   help='image folder relative to the data root')
    p.add_argument('--out', help='default: DATA_ROOT/dataset_stats.json')
    p.add_argument('--force', action='store_true',
                   help='recompute an existing file')
    p.add_argument('--channels', type=int, choices=[1, 3], default=3,
                   help='3: RGB statistics; 1: one grey value')
    p.add_argument('--dataset', choices=['image-folder', 'fashion-mnist'],
                   default='image-folder',
                   help='fashion-mnist: the idx files in DATA_ROOT')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.dataset == 'fashion-mnist':
        out = args.out or STATS_FILE  # the Debian folder is read-only
    else:
        out = args.out or osp.join(args.data_root, STATS_FILE)
    if osp.isfile(out) and not args.force:
        print(f'{out} exists (statistics are computed once; --force '
              'recomputes them)')
        return 0
    if not osp.isdir(args.data_root):
        raise SystemExit(f'{args.data_root}: no such directory')
    try:
        if args.dataset == 'fashion-mnist':
            stats = fashion_mnist_stats(args.data_root)
        else:
            stats = dataset_stats(args.data_root, args.ann_file,
                                  args.data_prefix, channels=args.channels)
    except (ValueError, FileNotFoundError, RuntimeError) as err:
        raise SystemExit(f'error: {err}')
    write_stats(stats, out)
    print(f'{out}: {stats["num_images"]} images, {stats["num_classes"]} '
          f'classes, mean {stats["mean"]}, std {stats["std"]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
