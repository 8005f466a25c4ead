"""The command line shared by ``tools/model_converters/ddarts2mmddarts.py``
and ``darts2mmddarts.py``: the scripts only name their defaults."""
import argparse
import os.path as osp
import sys

from mmddarts.structures.loading import load_genotype
from .reference_converter import convert_reference_state_dict
from .source_checkpoint import ConversionError, load_source_state_dict
from .writer import save_converted_checkpoint


def build_parser(description, default_imagenet_stem, layouts):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('src', help='reference checkpoint (.pt / .pth.tar)')
    parser.add_argument('dst', help='output mmengine checkpoint (.pth)')
    parser.add_argument(
        '--genotype', required=True,
        help='genotype the reference network was built with: our JSON or '
        'the legacy Genotype(...) text, in the gene order the reference '
        'read')
    parser.add_argument(
        '--num-cells', type=int, default=None,
        help='cells of the reference network when the genotype has fewer '
        '(resized with Algorithm 1, like model.backbone.num_cells)')
    parser.add_argument(
        '--stem', choices=['cifar', 'imagenet', 'ddarts_imagenet'],
        default=None,
        help="our stem; default: 'cifar' for a CIFAR checkpoint, "
        f"'{default_imagenet_stem}' for an ImageNet one")
    parser.add_argument('--channels', type=int, default=None,
                        help='C, checked against the checkpoint (inferred)')
    parser.add_argument('--layout', choices=layouts, default=layouts[0],
                        help='cell layout of the checkpoint')
    parser.add_argument(
        '--drop-aux', action='store_true',
        help='leave the auxiliary head out (training only; needed when its '
        'layout differs from ours, e.g. D-DARTS\' ImageNet head with a BN '
        'after the 2x2 conv)')
    parser.add_argument(
        '--trust', action='store_true',
        help='fully unpickle the source file (only for files you trust; '
        'by default only tensors and plain containers load)')
    return parser


def run(args, converter):
    try:
        genotype = load_genotype(args.genotype)
    except (OSError, ValueError) as err:
        sys.exit(f'--genotype {args.genotype}: {err}')
    try:
        state = load_source_state_dict(args.src, trust=args.trust)
        stem = args.stem
        if stem is None and 'stem.0.weight' not in state:
            stem = args.default_imagenet_stem
        state_dict, meta, report = convert_reference_state_dict(
            state, genotype, stem=stem, layout=args.layout,
            num_cells=args.num_cells, channels=args.channels,
            drop_aux=args.drop_aux)
    except ConversionError as err:
        sys.exit(f'{args.src}: {err}')
    meta.update(converter=converter, source_file=osp.basename(args.src))
    path = save_converted_checkpoint(state_dict, meta, args.dst)
    print(f'{args.src} -> {path}: {report["source_keys"]} source keys, '
          f'{report["target_keys"]} target keys; {meta["source_layout"]} '
          f'cells, C={meta["channels"]}, {meta["num_cells"]} cells, '
          f'{meta["num_classes"]} classes, stem {meta["stem"]}; aux keys '
          f'dropped: {report["dropped_aux_keys"]}; BN counters filled: '
          f'{report["filled_num_batches_tracked"]}; concat order permuted '
          f'in cells: {report["concat_permuted_cells"] or "none"}')
    return path
