"""Leave-one-out contributions: D-DARTS' ablation step (the default).

``mc_j = L - L_j`` with ``L_j`` the loss with owner j's op weights
randomised; the gradients, prefix reuse and batched ablations are
:func:`mmddarts.models.search.ablation.arch_step_grads`. With
``ablation='none'`` this is the plain first-order step of DARTS and
FairDARTS (CE + zero-one).
"""
from mmddarts.registry import MODELS
from ..search.ablation import arch_step_grads
from .base import BaseArchStep


@MODELS.register_module()
class LeaveOneOutArchStep(BaseArchStep):
    """First-order step with leave-one-out contributions.

    Args: see :class:`BaseArchStep` (``w01``, ``w_abl``, ``ablation``).
    """
    first_order = True

    def grads(self, net, inputs, targets, loss_scale=1.0, generator=None,
              reduce=None, unroll=None, weight_grads=None):
        return arch_step_grads(net, inputs, targets, w01=self.w01,
                               w_abl=self.w_abl, ablation=self.ablation,
                               loss_scale=loss_scale, generator=generator,
                               reduce=reduce, weight_grads=weight_grads)
