"""Write a small CIFAR-format data set (official layout and pickle schema).

    python tools/misc/write_tiny_cifar.py data/cifar10 --kind cifar10 \
        --num-train 1000 --num-test 200

Load it with ``dict(type='mmddarts.CIFAR10', data_root=..., check_md5=False)``
(the md5 sums are not the official ones). With a config, one switch sets
``check_md5=False`` in every CIFAR dataset (train/val/test and the search
splits) and ``data_root`` moves them all:

    python tools/train.py configs/search/ddarts_c10.py \
        --cfg-options data_root=data/cifar10 check_md5=False
"""
import argparse

from mmddarts.datasets.cifar_writer import KINDS, write_cifar


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('root', help='data root, e.g. data/cifar10')
    parser.add_argument('--kind', choices=KINDS, default='cifar10')
    parser.add_argument('--num-train', type=int, default=1000)
    parser.add_argument('--num-test', type=int, default=200)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    folder = write_cifar(args.root, args.kind, args.num_train, args.num_test,
                         args.seed)
    print(f'wrote {args.kind} ({args.num_train} train / {args.num_test} '
          f'test images) to {folder}')


if __name__ == '__main__':
    main()
