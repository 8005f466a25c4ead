from .stats_cls_preprocessor import StatsClsDataPreprocessor  # noqa: F401
