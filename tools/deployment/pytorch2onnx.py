"""Export a derived classifier, or a detector's backbone, to ONNX and check
it against PyTorch with ONNX Runtime.

    python tools/deployment/pytorch2onnx.py CONFIG [CHECKPOINT] --out FILE \
        [--shape H W] [--dynamic-batch] [--opset N] [--backbone-only]
        [--genotype {checkpoint,config}] [--cfg-options k=v ...]

As in ``tools/test.py``, derived networks are rebuilt with the genotype,
cells and channels the checkpoint records (``--genotype checkpoint``,
default), and the checkpoint must then hold exactly the model's tensors: a
missing, unexpected or differently shaped one is an error naming it.
A search config (a supernet) is not exported: export its genotype and
train it first.

The graph is the eval-mode network: no drop path, no auxiliary head. Its
input is the normalised image (the config's data_preprocessor mean / std are
printed); outputs are ``logits`` or, with ``--backbone-only`` (required for
detection configs), the backbone's features ``feat0..`` fine to coarse.
After export, ONNX Runtime and PyTorch run the same random inputs (batch 2,
and batch 3 with ``--dynamic-batch``); the largest absolute difference of
every output is printed and the tool exits with status 1 when one exceeds
``--atol`` (default 1e-4, float32), unless ONNX is within float32 noise: a
float64 copy of the model runs too, and an output whose ONNX distance to it
is at most twice PyTorch float32's own (+ atol) passes, marked as such (deep
networks and unnormalised features reach 1e-4 in float32 alone).
"""
import argparse
import os
import os.path as osp
import sys

import torch
from mmengine.config import DictAction
from mmengine.registry import init_default_scope

IMAGENET_STEMS = ('imagenet', 'ddarts_imagenet')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='export to ONNX')
    parser.add_argument('config', help='model config')
    parser.add_argument(
        'checkpoint', nargs='?', default=None,
        help='checkpoint loaded strictly (default: the config\'s init_cfg, '
        'e.g. a detection backbone\'s Pretrained classifier)')
    parser.add_argument('--out', required=True, help='output .onnx file')
    parser.add_argument(
        '--shape', type=int, nargs=2, default=None, metavar=('H', 'W'),
        help='input size (default: 224x224 for an ImageNet stem, else 32x32)')
    parser.add_argument('--dynamic-batch', action='store_true',
                        help='symbolic batch axis')
    parser.add_argument('--opset', type=int, default=17)
    parser.add_argument('--backbone-only', action='store_true',
                        help='export the backbone\'s multi-scale features')
    parser.add_argument('--atol', type=float, default=1e-4,
                        help='largest allowed |ONNX - PyTorch|')
    parser.add_argument('--exporter', choices=['torchscript', 'dynamo'],
                        default='torchscript',
                        help="torch's exporter ('dynamo' needs onnxscript)")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries')
    parser.add_argument(
        '--genotype', choices=['checkpoint', 'config'], default='checkpoint',
        help='checkpoint (default): build derived networks as the '
        'checkpoint records them (as tools/test.py does); config: the '
        'config\'s network, refusing a checkpoint of another one')
    return parser.parse_args(argv)


def build_model(cfg):
    from mmengine.registry import MODELS

    from mmddarts.setup_env import register_all_modules
    register_all_modules(init_default_scope=False)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    if cfg.get('custom_imports'):
        from mmengine.utils import import_modules_from_strings
        import_modules_from_strings(**cfg.custom_imports)
    return MODELS.build(cfg.model)


def main(argv=None):
    args = parse_args(argv)
    from mmddarts.deployment import (OnnxParityError, check_parity,
                                     export_onnx, graph_op_types,
                                     onnx_input_shape, wrap_for_export)
    from mmddarts.utils.cli_inputs import load_config, require_file
    from mmddarts.utils.config_utils import (apply_cfg_options,
                                             input_channels)
    from mmddarts.models.backbones.derived_checkpoint import \
        resolve_checkpoint_genotypes
    from mmddarts.models.strict_load import (CheckpointMismatchError,
                                             load_strict)
    cfg = load_config(args.config)
    apply_cfg_options(cfg, args.cfg_options)
    if args.checkpoint:
        require_file(args.checkpoint, 'checkpoint')
    model_type = str((cfg.get('model') or {}).get('type', ''))
    if model_type.split('.')[-1] == 'DDartsSearch':
        sys.exit(f'error: {args.config} is a search config: a supernet is '
                 'not exported. Export its genotype (tools/export_genotype.py'
                 ' CHECKPOINT), train it with a configs/train/ config, then '
                 'export the trained checkpoint with that config')
    # as tools/test.py: the network the checkpoint records
    try:
        resolve_checkpoint_genotypes(
            cfg, args.checkpoint, every=args.genotype == 'checkpoint'
            and args.checkpoint is not None, where='pytorch2onnx.py')
    except ValueError as err:
        sys.exit(f'error: {err}')
    model = build_model(cfg)
    if args.checkpoint:
        try:
            load_strict(model, args.checkpoint, where='pytorch2onnx.py',
                        config=args.config)
        except CheckpointMismatchError as err:
            sys.exit(f'error: {err}')
    else:
        # e.g. a detector whose backbone has init_cfg Pretrained (a
        # converted classifier); otherwise the usual random init
        model.init_weights()
        print('no checkpoint given: weights from the config\'s init_cfg')
    shape = args.shape
    if shape is None:
        stem = (cfg.model.get('backbone') or {}).get('stem', 'cifar')
        shape = [224, 224] if stem in IMAGENET_STEMS else [32, 32]
    in_channels = input_channels(cfg)
    try:
        module, names = wrap_for_export(model, args.backbone_only)
    except ValueError as err:
        sys.exit(f'{args.config}: {err}')
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    export_onnx(module, args.out, shape, names, batch=2,
                dynamic_batch=args.dynamic_batch, opset=args.opset,
                exporter=args.exporter, in_channels=in_channels)
    gen = torch.Generator().manual_seed(1)
    batches = [2, 3] if args.dynamic_batch else [2]
    inputs = [torch.randn(b, in_channels, *shape, generator=gen)
              for b in batches]
    print(f'{args.out}: input {onnx_input_shape(args.out)}, opset '
          f'{args.opset}, {len(graph_op_types(args.out))} op types')
    pre = cfg.model.get('data_preprocessor') or cfg.get('data_preprocessor')
    if pre and 'mean' in pre:
        print(f'input = (image - {list(pre["mean"])}) / {list(pre["std"])}')
    try:
        rows = check_parity(module, args.out, inputs, atol=args.atol,
                            float64=True)
        failed = None
    except OnnxParityError as err:
        rows, failed = getattr(err, 'rows', []), err
    for r in rows:
        print(f'  batch {r["batch"]} {r["output"]} {r["shape"]}: max |onnx '
              f'- torch| = {r["max_abs_diff"]:.3g} (vs float64: torch '
              f'{r["torch_fp32_err"]:.3g}, onnx {r["onnx_fp32_err"]:.3g}; '
              f'max |torch| {r["scale"]:.3g})'
              + ('' if r['max_abs_diff'] <= args.atol else
                 ' > atol but within float32 noise' if r['ok'] else
                 ' FAILED'))
    if failed is not None:
        print(f'PARITY FAILED: {failed}', file=sys.stderr)
        sys.exit(1)
    print(f'parity OK (atol {args.atol:g})')


if __name__ == '__main__':
    main()
