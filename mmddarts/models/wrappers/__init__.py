from .device_aware_ddp import DeviceAwareDDP  # noqa: F401
