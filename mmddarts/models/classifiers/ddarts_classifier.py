"""Image classifier with DARTS' auxiliary head (training only)."""
import copy
import inspect

import torch.nn as nn
from mmpretrain.models.classifiers import ImageClassifier

from mmddarts.registry import MODELS


def _fill_in_channels(cfg, channels):
    """Copy of a head config with ``in_channels`` set from the backbone when
    the config leaves it out (widths depend on the genotype)."""
    if cfg is None or isinstance(cfg, nn.Module):
        return cfg
    cfg = copy.deepcopy(cfg)
    if cfg.get('in_channels', 'auto') == 'auto':
        cfg['in_channels'] = channels
    return cfg


def _default_loss(cls):
    """The ``loss`` default of ``cls`` or of the first base class that has
    one (mmpretrain heads pass it on through ``**kwargs``)."""
    for klass in cls.__mro__:
        init = klass.__dict__.get('__init__')
        if init is None:
            continue
        param = inspect.signature(init).parameters.get('loss')
        if param is not None:
            return klass, param.default
    return None, None


def _scoped_defaults(cfg):
    """Copy of a head config in which the ``loss`` its class takes by
    default (an mmpretrain head's ``dict(type='CrossEntropyLoss')``) is
    written in with its scope (``'mmpretrain.CrossEntropyLoss'``).

    mmengine builds nested modules under the caller's default scope, so
    under ``init_default_scope('mmddarts')`` an unprefixed default of an
    mmpretrain class is looked up in mmddarts' registry and not found."""
    if not isinstance(cfg, dict) or 'loss' in cfg or not isinstance(
            cfg.get('type'), str):
        return cfg
    try:
        cls = MODELS.get(cfg['type'])
    except KeyError:  # the build reports it with mmengine's message
        return cfg
    if not inspect.isclass(cls):
        return cfg
    owner, default = _default_loss(cls)
    if not isinstance(default, dict) or not isinstance(
            default.get('type'), str) or '.' in default['type']:
        return cfg
    cfg = copy.deepcopy(cfg)
    cfg['loss'] = dict(copy.deepcopy(default), type=owner.__module__.split(
        '.')[0] + '.' + default['type'])
    return cfg


@MODELS.register_module()
class DDartsImageClassifier(ImageClassifier):
    """mmpretrain's ``ImageClassifier`` plus an optional auxiliary head.

    Args:
        backbone: a backbone that accepts ``with_aux_output=True`` and then
            returns ``(features, aux_input)`` (:class:`DDartsNet`); it must
            expose ``out_channels`` (per cell) / ``out_indices`` and
            ``aux_channels`` so heads may omit ``in_channels``.
        aux_head: e.g. ``dict(type='mmddarts.AuxiliaryHeadCIFAR',
            num_classes=10, loss=dict(type='mmpretrain.CrossEntropyLoss',
            loss_weight=0.4))``. Its losses are added with an ``aux_`` prefix
            in training mode only; prediction never uses it.
        Others: as :class:`mmpretrain.models.ImageClassifier`.
    """

    def __init__(self,
                 backbone,
                 neck=None,
                 head=None,
                 aux_head=None,
                 pretrained=None,
                 train_cfg=None,
                 data_preprocessor=None,
                 init_cfg=None):
        if not isinstance(backbone, nn.Module):
            backbone = MODELS.build(backbone)
        out_channels = getattr(backbone, 'out_channels', None)
        if isinstance(out_channels, (list, tuple)) and \
                hasattr(backbone, 'out_indices'):
            head = _fill_in_channels(
                head, out_channels[backbone.out_indices[-1]])
        if aux_head is not None:
            if getattr(backbone, 'aux_channels', None) is None:
                raise ValueError(
                    'DDartsImageClassifier: aux_head needs a backbone with an '
                    'auxiliary output (aux_channels), e.g. DDartsNet with an '
                    'aux_index')
            aux_head = _fill_in_channels(aux_head, backbone.aux_channels)
        # Defaults scope-prefixed: this class builds under either default
        # scope (mmpretrain's configs, mmddarts' search configs and users).
        head, aux_head = _scoped_defaults(head), _scoped_defaults(aux_head)
        if data_preprocessor is None or isinstance(data_preprocessor, dict):
            data_preprocessor = dict(data_preprocessor or {})
            data_preprocessor.setdefault('type',
                                         'mmpretrain.ClsDataPreprocessor')
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            pretrained=pretrained,
            train_cfg=train_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        if aux_head is not None and not isinstance(aux_head, nn.Module):
            aux_head = MODELS.build(aux_head)
        self.aux_head = aux_head

    @property
    def with_aux_head(self):
        return self.aux_head is not None

    def loss(self, inputs, data_samples):
        """Head loss, plus the auxiliary head's (``aux_loss``) in training."""
        if not (self.with_aux_head and self.training):
            return super().loss(inputs, data_samples)
        feats, aux_input = self.backbone(inputs, with_aux_output=True)
        if self.with_neck:
            feats = self.neck(feats)
        losses = self.head.loss(feats, data_samples)
        aux_losses = self.aux_head.loss((aux_input, ), data_samples)
        losses.update({f'aux_{k}': v for k, v in aux_losses.items()})
        return losses
