"""mmengine's DDP wrapper, usable on CPU-only machines too."""
from mmengine.model import MMDistributedDataParallel

from mmddarts.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class DeviceAwareDDP(MMDistributedDataParallel):
    """:class:`MMDistributedDataParallel` that drops ``device_ids`` for CPU
    modules.

    mmengine's Runner always passes ``device_ids=[LOCAL_RANK]``, which torch's
    DDP rejects for a module on the CPU, so ``tools/dist_train.sh CONFIG N``
    (gloo) would fail on a machine without GPUs. On GPUs nothing changes.

    Config: ``model_wrapper_cfg = dict(type='mmddarts.DeviceAwareDDP')``
    (``find_unused_parameters=True`` etc. pass through).
    """

    def __init__(self, module, **kwargs):
        if all(p.device.type == 'cpu' for p in module.parameters()):
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
        kwargs.setdefault('broadcast_buffers', False)
        super().__init__(module=module, **kwargs)
