"""Monte-Carlo permutation Shapley contributions
(:mod:`mmddarts.models.search.shapley` has the game, the estimator and the
exact gradient of ``Labl_i = 1 - phi_i / m``)."""
from mmddarts.registry import MODELS
from ..search.shapley import shapley_arch_step_grads
from .base import BaseArchStep


def check_shapley_options(num_permutations, truncation, owner,
                          names=('num_permutations', 'truncation')):
    """Validate K and the truncation tolerance (``names``: how the caller
    spells them, for the message)."""
    if int(num_permutations) < 1:
        raise ValueError(f'{owner}: {names[0]} must be >= 1, got '
                         f'{num_permutations}')
    if float(truncation) < 0:
        raise ValueError(f'{owner}: {names[1]} must be >= 0, got '
                         f'{truncation}')


@MODELS.register_module()
class ShapleyArchStep(BaseArchStep):
    """First-order step with Shapley contributions in place of
    leave-one-out ones.

    Args:
        num_permutations (int): K, sampled permutations per step.
        truncation (float): relative truncation tolerance (TMC-Shapley; 0:
            off). Refused under data parallel (decisions are per rank).
        w01, w_abl, ablation: see :class:`BaseArchStep`; ``ablation`` must
            be ``'exact'`` or ``'reference'`` (there is nothing to estimate
            without contributions).
    """
    first_order = True

    def __init__(self, num_permutations=4, truncation=0.0, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        if self.ablation == 'none':
            raise ValueError(f"{name} needs ablation='exact' or "
                             "'reference', got 'none'")
        check_shapley_options(num_permutations, truncation, name)
        self.num_permutations = int(num_permutations)
        self.truncation = float(truncation)

    def __repr__(self):
        return (super().__repr__()[:-1] +
                f', num_permutations={self.num_permutations}, '
                f'truncation={self.truncation})')

    def grads(self, net, inputs, targets, loss_scale=1.0, generator=None,
              reduce=None, unroll=None, weight_grads=None):
        return shapley_arch_step_grads(
            net, inputs, targets, w01=self.w01, w_abl=self.w_abl,
            ablation=self.ablation, num_permutations=self.num_permutations,
            truncation=self.truncation, loss_scale=loss_scale,
            generator=generator, reduce=reduce, weight_grads=weight_grads)
