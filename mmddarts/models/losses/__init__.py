# Filled by the modules of this package.
from .zero_one_loss import ZeroOneLoss, zero_one_loss  # noqa: F401
from .ablation_loss import ablation_loss, ablation_loss_grads  # noqa: F401
