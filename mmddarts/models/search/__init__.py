"""Search cells and supernets (D-DARTS / DARTS / FairDARTS, DARTOpti) and
ACA's channel importance (importing ``aca`` fills its registries)."""
from . import aca
from .dartopti import DARTOptiSupernet
from .supernet import DDartsSupernet

__all__ = ['DDartsSupernet', 'DARTOptiSupernet', 'aca']
