"""FairDARTS' zero-one loss: pushes sigmoid(alpha) away from 0.5.

``L01 = -mean((sigmoid(alpha) - 0.5) ** 2)`` over one alpha set (one cell in
D-DARTS), minimal (-0.25) when every op weight is 0 or 1.

FairDARTS' own loss is ONE mean over all its architecture weights,
``-mse_loss(cat(sigmoid(alphas_normal), sigmoid(alphas_reduce)), 0.5)``
(xiaomi-automl/FairDARTS, ``fairdarts/architect.py``): with K equal-sized
sets each set gets ``w01 / K`` of the pressure, not ``w01``. That is
:func:`zero_one_loss_joint`; D-DARTS (one objective and one optimizer per
cell) uses one :func:`zero_one_loss` per alpha owner.
"""
import torch
import torch.nn as nn

from mmddarts.registry import MODELS


def zero_one_loss(alpha):
    """Zero-one loss of one alpha tensor (any shape), a scalar."""
    return -(torch.sigmoid(alpha) - 0.5).pow(2).mean()


def zero_one_loss_joint(alphas):
    """Zero-one loss of several alpha tensors as ONE mean over all their
    entries (FairDARTS' shared normal / reduction sets), a scalar."""
    return zero_one_loss(torch.cat([a.reshape(-1) for a in alphas]))


@MODELS.register_module()
class ZeroOneLoss(nn.Module):
    """Module form of :func:`zero_one_loss`, scaled by ``loss_weight``
    (FairDARTS: 10; the released D-DARTS CIFAR-100 run: 7)."""

    def __init__(self, loss_weight=1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, alpha):
        return self.loss_weight * zero_one_loss(alpha)
