# Filled by the modules of this package.
from .aux_head import AuxiliaryHeadCIFAR, AuxiliaryHeadImageNet  # noqa: F401
