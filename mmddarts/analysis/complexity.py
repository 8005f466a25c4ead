"""FLOPs and the exact parameter count of a model config.

Parameters are counted without the auxiliary head (it only serves training),
as DARTS' ``utils.count_parameters_in_MB`` and the papers' tables do. FLOPs
(multiply-adds, mmengine's convention) are measured on one image in
``tensor`` mode, which never runs the auxiliary head.
"""
import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.registry import MODELS, init_default_scope


def count_parameters(model, exclude=('aux_head', 'auxiliary')):
    """Number of parameters of ``model`` whose names contain none of
    ``exclude`` (the auxiliary head by default)."""
    return sum(p.numel() for name, p in model.named_parameters()
               if not any(word in name for word in exclude))


def build_model(cfg):
    """Build ``cfg.model`` in the config's default scope."""
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


def model_complexity(model, shape):
    """mmengine's complexity info (``flops``, ``flops_str``, ...) of
    ``model`` in eval mode on one ``shape`` (C, H, W) input."""
    model.eval()
    with torch.no_grad():
        return get_model_complexity_info(
            model, input_shape=shape, show_table=False, show_arch=False)
