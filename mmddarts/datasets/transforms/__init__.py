"""Data transforms: the CIFAR-10 AutoAugment policy, DARTS' Cutout."""
from .auto_augment_policies import (CIFAR10_POLICY_LEVELS, cifar10_policy,
                                    level_to_magnitude, op_to_transform)
from .cifar_auto_augment import CIFAR10AutoAugment
from .darts_cutout import DARTSCutout

__all__ = [
    'CIFAR10_POLICY_LEVELS', 'cifar10_policy', 'level_to_magnitude',
    'op_to_transform', 'CIFAR10AutoAugment', 'DARTSCutout'
]
