"""Data transforms: the CIFAR-10 AutoAugment policy, DARTS' Cutout."""
from .auto_augment_policies import (CIFAR10_POLICY_LEVELS,  # noqa: F401
                                    cifar10_policy, level_to_magnitude,
                                    op_to_transform)
from .cifar_auto_augment import CIFAR10AutoAugment  # noqa: F401
from .darts_cutout import DARTSCutout  # noqa: F401
