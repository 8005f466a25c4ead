# Filled by the modules of this package.
from .ddarts_net import DDartsNet  # noqa: F401
