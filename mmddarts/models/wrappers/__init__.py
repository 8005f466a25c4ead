"""Model wrappers: DDP that leaves CPU modules on the CPU."""
from .device_aware_ddp import DeviceAwareDDP

__all__ = ['DeviceAwareDDP']
