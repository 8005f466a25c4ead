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
import os.path as osp
import sys

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import DictAction
from mmengine.registry import init_default_scope

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))
from mmddarts.utils.cli_inputs import load_config  # noqa: E402


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


def count_parameters(model, exclude=('aux_head', 'auxiliary')):
    """Number of parameters of ``model`` whose names contain none of
    ``exclude`` (the auxiliary head by default)."""
    return sum(p.numel() for name, p in model.named_parameters()
               if not any(word in name for word in exclude))


def build_model(cfg):
    """Build ``cfg.model`` in the config's default scope."""
    from mmengine.registry import MODELS
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    if cfg.get('custom_imports'):
        from mmengine.utils import import_modules_from_strings
        import_modules_from_strings(**cfg.custom_imports)
    return MODELS.build(cfg.model)


IMAGENET_STEMS = ('imagenet', 'ddarts_imagenet')


def default_shape(cfg):
    """224 for a backbone with an ImageNet stem, else 32 (CIFAR)."""
    backbone = cfg.model.get('backbone', None) or {}
    return [224] if backbone.get('stem', 'cifar') in IMAGENET_STEMS \
        else [32]


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
    model.eval()
    params = count_parameters(model)
    with torch.no_grad():
        info = get_model_complexity_info(
            model, input_shape=shape, show_table=False, show_arch=False)
    split = '=' * 30
    print(f'{split}\nInput shape: {shape}\n'
          f'Flops: {info["flops_str"]} ({info["flops"]})\n'
          f'Params (without auxiliary head): {params} '
          f'({params / 1e6:.2f}M)\n'
          f'Params (all): {count_parameters(model, exclude=())}\n{split}')


if __name__ == '__main__':
    main()
