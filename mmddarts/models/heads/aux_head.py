"""DARTS' auxiliary classification heads, as mmpretrain ``ClsHead``s.

Fed with the output of the last reduction cell during training only; the loss
weight (DARTS: 0.4) is the ``loss_weight`` of the head's loss config.
"""
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.heads import ClsHead

from mmddarts.registry import MODELS


class _AuxiliaryHead(ClsHead):
    # ReLU, AvgPool(5, stride), 1x1 conv to 128, BN, ReLU, 2x2 conv to 768,
    # [BN], ReLU, Linear(768, num_classes): DARTS' AuxiliaryHead*.
    pool_stride = None
    bn_after_conv2 = True
    expected = ''

    def __init__(self,
                 num_classes,
                 in_channels,
                 loss=dict(type='mmpretrain.CrossEntropyLoss',
                           loss_weight=0.4),
                 init_cfg=None,
                 **kwargs):
        super().__init__(loss=loss, init_cfg=init_cfg, **kwargs)
        if num_classes <= 0:
            raise ValueError(f'{type(self).__name__}: num_classes must be '
                             f'positive, got {num_classes}')
        self.num_classes = num_classes
        self.in_channels = in_channels
        layers = [
            nn.ReLU(inplace=False),
            nn.AvgPool2d(5, stride=self.pool_stride, padding=0,
                         count_include_pad=False),
            nn.Conv2d(in_channels, 128, 1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
            nn.Conv2d(128, 768, 2, bias=False),
        ]
        if self.bn_after_conv2:
            layers.append(nn.BatchNorm2d(768))
        layers.append(nn.ReLU(inplace=True))
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(768, num_classes)

    def pre_logits(self, feats):
        x = feats[-1]
        # The 2x2 conv must meet a 2x2 map to leave the 768-d vector DARTS'
        # linear layer expects.
        pooled = [(s - 5) // self.pool_stride + 1 for s in x.shape[-2:]]
        if pooled == [2, 2]:
            return self.features(x).flatten(1)
        small = 5 + self.pool_stride  # smallest side DARTS' window fits twice
        if all(2 <= s < small for s in x.shape[-2:]):
            # The last reduction cell of a network reducing more than twice
            # (DARTOpti's 4-cell ResNets: 4x4 on CIFAR; Xception: 2x2) is
            # smaller than DARTS' 5x5 window (the authors' code fails
            # there): average it to 2x2 instead. Same parameters. The windows
            # of adaptive pooling to 2x2, written as avg_pool2d, whose
            # backward CUDA's deterministic mode accepts.
            h, w = x.shape[-2:]
            x = F.avg_pool2d(self.features[0](x),
                             kernel_size=(h - h // 2, w - w // 2),
                             stride=(h // 2, w // 2))
            return self.features[2:](x).flatten(1)
        raise ValueError(
            f'{type(self).__name__}: input {tuple(x.shape[-2:])} pools '
            f'to {tuple(pooled)} instead of 2x2; expects {self.expected}')

    def forward(self, feats):
        return self.fc(self.pre_logits(feats))


@MODELS.register_module()
class AuxiliaryHeadCIFAR(_AuxiliaryHead):
    """DARTS' CIFAR auxiliary head (input 8x8: the last reduction cell of a
    32x32 image; pooling 5, stride 3 -> 2x2 -> 2x2 conv -> 1x1)."""
    pool_stride = 3
    expected = ('8x8 to 10x10 (a 32x32 image after two reductions), or 2x2 '
                'to 7x7 (after more reductions: averaged to 2x2)')


@MODELS.register_module()
class AuxiliaryHeadImageNet(_AuxiliaryHead):
    """DARTS' ImageNet auxiliary head (input 7x7: 224 images after the
    stem's /8 and two reductions; pooling 5, stride 2 -> 2x2 -> 1x1).

    DARTS omitted the BatchNorm after the 2x2 conv ("due to a typo") and kept
    it out for consistency with its paper; so do we.
    """
    pool_stride = 2
    bn_after_conv2 = False
    expected = ('7x7 or 8x8 (a 224 image after the stem and two '
                'reductions), or 2x2 to 6x6 (averaged to 2x2)')
