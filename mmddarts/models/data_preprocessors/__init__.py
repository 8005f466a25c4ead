"""Data preprocessors reading normalisation statistics from a file."""
from .stats_cls_preprocessor import StatsClsDataPreprocessor

__all__ = ['StatsClsDataPreprocessor']
