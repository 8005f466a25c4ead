"""Convert a DARTS (quark0/darts ``cnn/model.py``) checkpoint to ours.

    python tools/model_converters/darts2mmddarts.py cifar10_model.pt \
        work_dirs/darts-v2_c10.pth --genotype configs/genotypes/darts-v2.json \
        --num-cells 20

Reads ``NetworkCIFAR`` / ``NetworkImageNet`` state dicts (DARTS_V1 / V2;
bare, or under ``'state_dict'``, with or without ``module.``; files written
before torch 0.4.1 lack BatchNorm's ``num_batches_tracked``, filled with 0).
ImageNet checkpoints get DARTS' /8 stem (``stem='imagenet'``). Key layouts:
docs/checkpoints.md.
"""
from mmddarts.models.converters.cli import build_parser, run


def main(argv=None):
    parser = build_parser(__doc__.splitlines()[0], 'imagenet', ['darts'])
    args = parser.parse_args(argv)
    args.default_imagenet_stem = 'imagenet'
    run(args, 'darts2mmddarts')


if __name__ == '__main__':
    main()
