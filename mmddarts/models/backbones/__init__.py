"""Derived networks built from a genotype: the classification backbone and
the multi-level detection backbone."""
from .ddarts_det_backbone import DDartsDetBackbone
from .ddarts_net import DDartsNet

__all__ = ['DDartsNet', 'DDartsDetBackbone']
