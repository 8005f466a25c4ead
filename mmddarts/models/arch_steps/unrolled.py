"""DARTS' second-order (unrolled) step around a first-order contribution
(:mod:`mmddarts.models.search.unrolled` has the maths)."""
from mmddarts.registry import MODELS
from ..search.unrolled import unrolled_arch_step_grads
from .base import BaseArchStep


def check_unroll_options(lr, momentum, weight_decay, eps, owner,
                         names=('lr', 'momentum', 'weight_decay', 'eps')):
    """Validate the virtual step's options (``names``: how the caller
    spells them, for the message)."""
    for key, val in zip(names, (lr, momentum, weight_decay)):
        if val is not None and float(val) < 0:
            raise ValueError(f'{owner}: {key} must be >= 0 (or None: the '
                             f'weight optimizer\'s), got {val}')
    if not float(eps) > 0:
        raise ValueError(f'{owner}: {names[3]} must be > 0, got {eps}')


@MODELS.register_module()
class UnrolledArchStep(BaseArchStep):
    """The unrolled step: the inner contribution evaluated at the virtual
    weights ``w'`` plus the CE's second-order correction.

    Args:
        inner (dict | BaseArchStep): the first-order contribution
            (``LeaveOneOutArchStep`` by default, or ``ShapleyArchStep``);
            its ``w01``, ``w_abl`` and ``ablation`` are this step's.
        lr, momentum, weight_decay (float, optional): the virtual SGD step;
            None (default): the weight optimizer's current values (first
            param group: the scheduled lr) and its momentum buffers.
        eps (float): the finite-difference step is ``eps / ||v||``.
    """
    needs_weights_batch = True

    def __init__(self, inner=None, lr=None, momentum=None,
                 weight_decay=None, eps=0.01):
        name = type(self).__name__
        if inner is None:
            inner = dict(type='mmddarts.LeaveOneOutArchStep')
        if isinstance(inner, dict):
            inner = MODELS.build(inner)
        if not (isinstance(inner, BaseArchStep) and inner.first_order):
            raise ValueError(
                f'{name}: inner must be a first-order contribution '
                '(LeaveOneOutArchStep, ShapleyArchStep), got '
                f'{type(inner).__name__}')
        check_unroll_options(lr, momentum, weight_decay, eps, name)
        self.inner = inner
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.eps = float(eps)

    # the objective is the inner contribution's
    @property
    def w01(self):
        return self.inner.w01

    @property
    def w_abl(self):
        return self.inner.w_abl

    @property
    def ablation(self):
        return self.inner.ablation

    def __repr__(self):
        return (f'{type(self).__name__}(inner={self.inner!r}, lr={self.lr}, '
                f'momentum={self.momentum}, weight_decay='
                f'{self.weight_decay}, eps={self.eps})')

    def hparams(self, net, weight_optim_wrapper):
        """``(lr, momentum, weight_decay, momentum_buffers)`` of the virtual
        step: the options or, where None, the weight optimizer's current
        values (first param group: the scheduled lr; ``momentum`` 0 for
        optimizers without one) and its momentum buffers (read only)."""
        opt = weight_optim_wrapper.optimizer
        group = opt.param_groups[0]

        def pick(own, key):
            return float(group.get(key, 0.0) or 0.0) if own is None \
                else float(own)

        buffers = [opt.state.get(p, {}).get('momentum_buffer')
                   for p in net.weight_parameters()]
        return (pick(self.lr, 'lr'), pick(self.momentum, 'momentum'),
                pick(self.weight_decay, 'weight_decay'), buffers)

    def grads(self, net, inputs, targets, loss_scale=1.0, generator=None,
              reduce=None, unroll=None, weight_grads=None):
        if unroll is None:
            raise ValueError(f'{type(self).__name__} needs the weights batch '
                             'and optimizer (DDartsSearch.train_step passes '
                             'them)')
        x_t, y_t, weight_optim_wrapper = unroll
        lr, momentum, wd, buffers = self.hparams(net, weight_optim_wrapper)
        return unrolled_arch_step_grads(
            net, inputs, targets, x_t, y_t, lr=lr, momentum=momentum,
            weight_decay=wd, momentum_buffers=buffers, eps=self.eps,
            loss_scale=loss_scale, reduce=reduce,
            first_order=self.inner.grads, generator=generator)
