"""DDP wrapper of :class:`DDartsSearch`.

mmengine's ``MMDistributedDataParallel.train_step`` runs one forward through
DDP and lets its reducer average the grads of that one backward. A search step
has two optimizers, several backward passes (the exact ablation gradient) and
gradients the supernet accumulates itself, so DDP's hooks cannot see them.
Instead the module's own ``train_step`` runs locally and this wrapper averages
over ranks explicitly: the losses and gradient terms of the architecture step
(before they are combined into the alphas' grads: the ablation gradient is not
linear in them) and the weights' grads (before the weight step). With
identical initial states
(DDP broadcasts rank 0's at construction) every rank applies the same updates,
so alphas and genotypes stay identical on all ranks.

BatchNorm running statistics stay per-rank (as with ``broadcast_buffers=False``
in mmengine); add mmengine's ``SyncBuffersHook`` to average them each epoch.
"""
from mmengine.dist import all_reduce_params

from mmddarts.registry import MODEL_WRAPPERS
from ..wrappers import DeviceAwareDDP


@MODEL_WRAPPERS.register_module()
class DDartsSearchDDP(DeviceAwareDDP):
    """``model_wrapper_cfg=dict(type='mmddarts.DDartsSearchDDP')``.

    Args:
        bucket_size_mb (int): size of the all-reduce buckets (-1: one flat
            buffer per dtype).
        **kwargs: passed to :class:`DeviceAwareDDP` (``device_ids`` is
            dropped for CPU modules, which torch's DDP rejects).
    """

    def __init__(self, module, bucket_size_mb=-1, **kwargs):
        super().__init__(module=module, **kwargs)
        self.bucket_size_mb = bucket_size_mb

    def average_tensors(self, tensors):
        """Average ``tensors`` over ranks, in place."""
        if tensors:
            all_reduce_params(
                tensors, coalesce=True, bucket_size_mb=self.bucket_size_mb,
                op='mean')

    def train_step(self, data, optim_wrapper):
        return self.module.train_step(
            data, optim_wrapper, reduce=self.average_tensors)

    # Genotype/parameter accessors used by hooks and tools.
    def genotype(self, *args, **kwargs):
        return self.module.genotype(*args, **kwargs)

    def arch_parameters(self):
        return self.module.arch_parameters()

    def weight_parameters(self):
        return self.module.weight_parameters()
