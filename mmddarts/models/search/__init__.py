# Filled by the modules of this package.
from .supernet import DDartsSupernet  # noqa: F401
from .dartopti import DARTOptiSupernet  # noqa: F401
from . import aca  # noqa: F401,E402  (fills the ACA registries)
