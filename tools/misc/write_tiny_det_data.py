r"""Write a tiny detection / instance-segmentation data set of simple shapes.

    python tools/misc/write_tiny_det_data.py --out data/tiny_coco
    python tools/misc/write_tiny_det_data.py --cityscapes \
        --out data/tiny_cityscapes

The COCO layout suits ``configs/detection/*tiny*`` (or set ``data_root``), the
Cityscapes layout ``configs/instance_seg/*tiny*`` (see docs/detection.md).
"""
import argparse

from mmddarts.datasets.det_writers import (write_tiny_cityscapes,
                                           write_tiny_coco)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', required=True, help='output root directory')
    parser.add_argument('--cityscapes', action='store_true',
                        help='Cityscapes layout (8 Cityscapes classes) '
                        'instead of COCO (3 shape classes)')
    parser.add_argument('--num-train', type=int, default=None,
                        help='training images (default 24 COCO / 16 '
                        'Cityscapes)')
    parser.add_argument('--num-val', type=int, default=None,
                        help='validation images (default 8 COCO / 6 '
                        'Cityscapes)')
    parser.add_argument('--size', type=int, nargs=2, default=None,
                        metavar=('H', 'W'),
                        help='image size (default 96 128 COCO / 64 128 '
                        'Cityscapes)')
    parser.add_argument('--max-objects', type=int, default=3)
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def main():
    args = parse_args()
    if args.cityscapes:
        writer, train, val, size = write_tiny_cityscapes, 16, 6, (64, 128)
    else:
        writer, train, val, size = write_tiny_coco, 24, 8, (96, 128)
    splits = (('train', args.num_train or train), ('val', args.num_val or val))
    files = writer(args.out, splits=splits,
                   img_size=tuple(args.size) if args.size else size,
                   max_objects=args.max_objects, seed=args.seed)
    for split, path in files.items():
        print(f'{split}: {path}')


if __name__ == '__main__':
    main()
