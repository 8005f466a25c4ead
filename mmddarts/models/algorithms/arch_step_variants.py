"""Which architecture step :class:`DDartsSearch` runs: first- or second-order
(``unrolled``), leave-one-out or Shapley contributions (``contribution``).

Kept apart from ``ddarts_search.py``, which only stores the options
(:func:`configure`) and calls :func:`arch_grads`.
"""
from functools import partial

from ..search.ablation import arch_step_grads
from ..search.shapley import shapley_arch_step_grads
from ..search.unrolled import unrolled_arch_step_grads

CONTRIBUTIONS = ('loo', 'shapley')


def configure(model, contribution='loo', shapley_permutations=4,
              shapley_truncation=0.0, unrolled=False, unroll_lr=None,
              unroll_momentum=None, unroll_weight_decay=None,
              unroll_eps=0.01):
    """Validate the options and store them on ``model`` (a DDartsSearch)."""
    name = type(model).__name__
    if contribution not in CONTRIBUTIONS:
        raise ValueError(f'{name}: contribution must be one of '
                         f'{CONTRIBUTIONS}, got {contribution!r}')
    if contribution == 'shapley' and model.ablation == 'none':
        raise ValueError(f"{name}: contribution='shapley' needs "
                         "ablation='exact' or 'reference', got 'none'")
    if int(shapley_permutations) < 1:
        raise ValueError(f'{name}: shapley_permutations must be >= 1, got '
                         f'{shapley_permutations}')
    if float(shapley_truncation) < 0:
        raise ValueError(f'{name}: shapley_truncation must be >= 0, got '
                         f'{shapley_truncation}')
    for key, val in (('unroll_lr', unroll_lr),
                     ('unroll_momentum', unroll_momentum),
                     ('unroll_weight_decay', unroll_weight_decay)):
        if val is not None and float(val) < 0:
            raise ValueError(f'{name}: {key} must be >= 0 (or None: the '
                             f'weight optimizer\'s), got {val}')
    if not float(unroll_eps) > 0:
        raise ValueError(f'{name}: unroll_eps must be > 0, got {unroll_eps}')
    model.contribution = contribution
    model.shapley_permutations = int(shapley_permutations)
    model.shapley_truncation = float(shapley_truncation)
    model.unrolled = bool(unrolled)
    model.unroll_lr = unroll_lr
    model.unroll_momentum = unroll_momentum
    model.unroll_weight_decay = unroll_weight_decay
    model.unroll_eps = float(unroll_eps)


def unroll_hparams(model, weight_optim_wrapper):
    """``(lr, momentum, weight_decay, momentum_buffers)`` of the virtual
    step: the model's ``unroll_*`` or, where None, the weight optimizer's
    current values (first param group: the scheduled lr; ``momentum`` 0 for
    optimizers without one) and its momentum buffers (read only)."""
    opt = weight_optim_wrapper.optimizer
    group = opt.param_groups[0]

    def pick(own, key):
        return float(group.get(key, 0.0) or 0.0) if own is None \
            else float(own)

    lr = pick(model.unroll_lr, 'lr')
    momentum = pick(model.unroll_momentum, 'momentum')
    wd = pick(model.unroll_weight_decay, 'weight_decay')
    buffers = [opt.state.get(p, {}).get('momentum_buffer')
               for p in model.weight_parameters()]
    return lr, momentum, wd, buffers


def arch_grads(model, inputs, targets, loss_scale, generator, reduce=None,
               unroll=None):
    """Accumulate the architecture step's alpha gradients; return its logs.

    ``unroll``: ``(train_inputs, train_targets, weight_optim_wrapper)`` when
    ``model.unrolled`` (the weights' batch of the iteration).
    """
    net = model.architecture
    kwargs = dict(w01=model.w01, w_abl=model.w_abl, ablation=model.ablation,
                  loss_scale=loss_scale, generator=generator, reduce=reduce)
    if model.contribution == 'shapley':
        first_order = partial(shapley_arch_step_grads,
                              num_permutations=model.shapley_permutations,
                              truncation=model.shapley_truncation)
    else:
        first_order = arch_step_grads
    if not model.unrolled:
        if model.contribution == 'loo':  # the supernet's own method
            return net.arch_step_grads(inputs, targets, **kwargs)
        return first_order(net, inputs, targets, **kwargs)
    if unroll is None:
        raise ValueError(f'{type(model).__name__}: unrolled=True needs the '
                         'weights batch and optimizer (train_step passes '
                         'them)')
    x_t, y_t, weight_optim_wrapper = unroll
    lr, momentum, wd, buffers = unroll_hparams(model, weight_optim_wrapper)
    return unrolled_arch_step_grads(
        net, inputs, targets, x_t, y_t, lr=lr, momentum=momentum,
        weight_decay=wd, momentum_buffers=buffers, eps=model.unroll_eps,
        first_order=first_order, **kwargs)
