# Filled by the modules of this package.
from .ddarts_classifier import DDartsImageClassifier  # noqa: F401
