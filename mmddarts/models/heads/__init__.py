"""DARTS' auxiliary heads (CIFAR and ImageNet layouts)."""
from .aux_head import AuxiliaryHeadCIFAR, AuxiliaryHeadImageNet

__all__ = ['AuxiliaryHeadCIFAR', 'AuxiliaryHeadImageNet']
