# Filled by the modules of this package.
from .supernet import DDartsSupernet  # noqa: F401
