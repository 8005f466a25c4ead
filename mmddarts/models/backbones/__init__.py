# Filled by the modules of this package.
from .ddarts_net import DDartsNet  # noqa: F401
from .ddarts_det_backbone import DDartsDetBackbone  # noqa: F401
