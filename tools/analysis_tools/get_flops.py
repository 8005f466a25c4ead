"""Print the FLOPs and the exact parameter count of a model config.

    python tools/analysis_tools/get_flops.py CONFIG [--shape 224 224]

Without ``--shape`` the input is 224x224 for a backbone with an ImageNet
stem and 32x32 otherwise (CIFAR); its channels are the backbone's
``in_channels`` (1 for the Fashion-MNIST configs).

Parameters are counted without the auxiliary head (it only serves training),
as DARTS' ``utils.count_parameters_in_MB`` and the papers' tables do. FLOPs
(multiply-adds, mmengine's convention) are measured on one image in
``tensor`` mode, which never runs the auxiliary head.
"""
import argparse

from mmengine.config import DictAction

from mmddarts.analysis.complexity import (build_model, count_parameters,
                                          default_shape, model_complexity)
from mmddarts.utils.cli_inputs import load_config


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='FLOPs and parameters')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--shape', type=int, nargs='+', default=None,
        help='input image size: H W, or one number for a square image '
        '(default: 224 for an ImageNet stem, else 32)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config entries, e.g. model.backbone.channels=16')
    args = parser.parse_args(argv)
    if args.shape is not None and len(args.shape) not in (1, 2):
        parser.error(f'--shape takes 1 or 2 numbers, got {args.shape}')
    return args


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.shape is None:
        args.shape = default_shape(cfg)
    from mmddarts.utils.config_utils import input_channels
    c = input_channels(cfg)  # 1 for grey images (Fashion-MNIST)
    if len(args.shape) == 1:
        shape = (c, args.shape[0], args.shape[0])
    else:
        shape = (c, ) + tuple(args.shape)
    model = build_model(cfg)
    params = count_parameters(model)
    info = model_complexity(model, shape)
    split = '=' * 30
    print(f'{split}\nInput shape: {shape}\n'
          f'Flops: {info["flops_str"]} ({info["flops"]})\n'
          f'Params (without auxiliary head): {params} '
          f'({params / 1e6:.2f}M)\n'
          f'Params (all): {count_parameters(model, exclude=())}\n{split}')


if __name__ == '__main__':
    main()
