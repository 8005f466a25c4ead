"""The image classifier of derived networks (auxiliary head aware)."""
from .ddarts_classifier import DDartsImageClassifier

__all__ = ['DDartsImageClassifier']
