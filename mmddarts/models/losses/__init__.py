"""The zero-one loss and the cell-level ablation loss."""
from .ablation_loss import ablation_loss, ablation_loss_grads
from .zero_one_loss import ZeroOneLoss, zero_one_loss

__all__ = [
    'ablation_loss', 'ablation_loss_grads', 'ZeroOneLoss', 'zero_one_loss'
]
