"""Convert a D-DARTS (aheuillet/D-DARTS ``model.py``) checkpoint to ours.

    python tools/model_converters/ddarts2mmddarts.py \
        DO-2-ResNet18_ImageNet.pth.tar work_dirs/do2-resnet18_in1k.pth \
        --genotype configs/genotypes/do2-resnet18_c100.json --drop-aux

Reads ``NetworkCIFAR`` / ``NetworkImageNet`` state dicts (bare, or under
``'state_dict'``, with or without ``module.``), with DCO cells
(``cells.{k}._ops.{to}.{from}.{j}``) or DARTS-style cells
(``cells.{k}._ops.{i}``, ``parse_method='darts'``). The output loads
strictly into ``DDartsImageClassifier`` (the configs in configs/train) and,
as ``init_cfg=dict(type='Pretrained', checkpoint=DST)``, into
``DDartsDetBackbone``. Key layouts: docs/checkpoints.md.
"""
from mmddarts.models.converters.cli import build_parser, run


def main(argv=None):
    parser = build_parser(__doc__.splitlines()[0], 'ddarts_imagenet',
                          ['auto', 'dco', 'darts'])
    args = parser.parse_args(argv)
    args.default_imagenet_stem = 'ddarts_imagenet'
    run(args, 'ddarts2mmddarts')


if __name__ == '__main__':
    main()
