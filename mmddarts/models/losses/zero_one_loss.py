"""FairDARTS' zero-one loss: pushes sigmoid(alpha) away from 0.5.

``L01 = -mean((sigmoid(alpha) - 0.5) ** 2)`` over one alpha set (one cell in
D-DARTS), minimal (-0.25) when every op weight is 0 or 1.
"""
import torch
import torch.nn as nn

from mmddarts.registry import MODELS


def zero_one_loss(alpha):
    """Zero-one loss of one alpha tensor (any shape), a scalar."""
    return -(torch.sigmoid(alpha) - 0.5).pow(2).mean()


@MODELS.register_module()
class ZeroOneLoss(nn.Module):
    """Module form of :func:`zero_one_loss`, scaled by ``loss_weight``
    (FairDARTS: 10; the released D-DARTS CIFAR-100 run: 7)."""

    def __init__(self, loss_weight=1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, alpha):
        return self.loss_weight * zero_one_loss(alpha)
