"""The base class of the architecture-step strategies.

A strategy decides how :class:`~mmddarts.models.algorithms.DDartsSearch`
turns the architecture batch into alpha gradients and steps the alphas.
As mmrazor's algorithms build their mutator (``mutator=dict(type=...)``),
``DDartsSearch`` builds its strategy from ``arch_strategy=dict(type=...)``
(registered in ``MODELS``). A strategy owns its options (validated in its
constructor) and its state; it reads the supernet and the optimizer
wrapper it is handed and writes nothing but gradients and optimizer steps.

Every strategy optimises the per-owner objective ``L_i = CE + w01 * L01_i
+ w_abl * Labl_i`` (DESIGN section 3, docs/search.md): ``w01`` weighs the
zero-one loss, ``w_abl`` the ablation loss, and ``ablation`` says whether
the owners' contributions are measured and differentiated (``'exact'``),
measured and logged only (``'reference'``, the authors' behaviour) or not
measured (``'none'``: FairDARTS, and DARTS with ``w01=0``).
"""
from abc import ABCMeta, abstractmethod

import torch

from mmddarts.profiling.op_counter import host_side

ABLATION_MODES = ('exact', 'reference', 'none')


def clear_grads(params):
    for p in params:
        p.grad = None


def loss_scale_of(optim_wrapper, device):
    """The current fp16 loss scale of an ``AmpOptimWrapper`` (1.0 otherwise):
    a 0-d float32 tensor on ``device`` (reading it on the host would wait
    for the device).

    ``GradScaler`` creates its scale lazily in ``scale()``; calling it on a
    unit tensor initialises it exactly as a ``backward`` through the wrapper
    would, so the wrapper's ``step`` can unscale the alphas' grads."""
    scaler = getattr(optim_wrapper, 'loss_scaler', None)
    if scaler is None or not scaler.is_enabled():
        return 1.0
    return scaler.scale(torch.ones((), device=device))


def grads_finite(params):
    """0-d bool tensor: every existing ``.grad`` is finite (the
    GradScaler's own skip criterion; no host read)."""
    grads = [p.grad for p in params if p.grad is not None]
    return torch.stack([torch.isfinite(g).all() for g in grads]).all() \
        if grads else torch.ones((), dtype=torch.bool)


class BaseArchStep(metaclass=ABCMeta):
    """One architecture update of a D-DARTS supernet.

    Args:
        w01 (float): weight of the zero-one loss (D-DARTS: 7, FairDARTS: 10,
            DARTS: 0).
        w_abl (float): weight of the ablation loss (0: off).
        ablation (str): ``'exact'`` | ``'reference'`` | ``'none'``.

    Subclasses implement :meth:`grads`; :meth:`step` runs the generic update
    around it (the reference dynamics override it). ``needs_weights_batch``:
    the step also needs the iteration's weights batch and weight optimizer
    (the unrolled step); ``first_order``: :meth:`grads` is a first-order
    contribution another strategy may wrap (:class:`UnrolledArchStep`).
    """
    needs_weights_batch = False
    first_order = False

    def __init__(self, w01=7.0, w_abl=0.5, ablation='exact'):
        name = type(self).__name__
        if ablation not in ABLATION_MODES:
            raise ValueError(f'{name}: ablation must be one of '
                             f'{ABLATION_MODES}, got {ablation!r}')
        self._w01 = float(w01)
        self._w_abl = float(w_abl)
        self._ablation = ablation

    @property
    def w01(self):
        return self._w01

    @property
    def w_abl(self):
        return self._w_abl

    @property
    def ablation(self):
        return self._ablation

    def __repr__(self):
        return (f'{type(self).__name__}(w01={self.w01}, w_abl={self.w_abl}, '
                f'ablation={self.ablation!r})')

    # ---------------------------------------------------------------- api
    @abstractmethod
    def grads(self, net, inputs, targets, loss_scale=1.0, generator=None,
              reduce=None, unroll=None, weight_grads=None):
        """Accumulate ``loss_scale`` times every owner's gradient into
        ``alpha.grad`` (never into a weight's ``.grad``); return the step's
        detached logs (``loss``, ``ce``, ``l01`` [K], and ``mc``, ``labl``
        [K], ``abl_m``, ``abl_guarded`` unless ablation is 'none').

        ``reduce(tensors)``: data parallel, averages in place over ranks;
        ``unroll``: ``(train_inputs, train_targets, weight_optim_wrapper)``
        when :attr:`needs_weights_batch`; ``weight_grads``: a list receiving
        ``d(CE * loss_scale)/dw`` (first-order strategies, for the unrolled
        step)."""

    def generator(self, device):
        """A generator for the random op weights of ablated cells, seeded from
        the global torch RNG: reproducible under the loop's per-epoch seeding
        (so a resumed search replays the same draws) and identical on every
        rank unless ``diff_rank_seed`` is set. None without ablation."""
        if self.ablation == 'none':
            return None
        with host_side():  # the CPU RNG: no device to wait for
            seed = int(torch.randint(0, 2**62, (1, )).item())
        gen = torch.Generator(device=device)
        gen.manual_seed(seed)
        return gen

    def step(self, net, inputs, targets, optim_wrapper, reduce=None,
             unroll=None, model=None):
        """Clear the alphas' grads, accumulate :meth:`grads`, step the
        architecture optimizer, clear again.

        ``model``: the module given to ``optim_wrapper.optim_context``
        (the search algorithm; default ``net``).

        Returns:
            tuple: ``(logs, finite)``: the logs of :meth:`grads` and whether
            the (scaled) alpha grads were all finite (0-d bool tensor; with
            AMP a False step was skipped by the loss scaler).
        """
        alphas = net.arch_parameters()
        clear_grads(alphas)
        with optim_wrapper.optim_context(model if model is not None
                                         else net):
            loss_scale = loss_scale_of(optim_wrapper, inputs.device)
            logs = self.grads(net, inputs, targets, loss_scale=loss_scale,
                              generator=self.generator(inputs.device),
                              reduce=reduce, unroll=unroll)
        # An fp16 overflow shows in the scaled gradients, not in the
        # forward losses: this is the GradScaler's own skip criterion.
        finite = grads_finite(alphas)
        optim_wrapper.step()
        clear_grads(alphas)
        return logs, finite

    # ------------------------------------------- weight-step interaction
    def weight_backward_params(self, net):
        """Parameters besides the weights that the weight step's backward
        must reach (the reference dynamics: the alphas)."""
        return []

    def after_weight_backward(self, net, optim_wrapper, reduce=None):
        """Called after the weight step's backward, before the alphas' grads
        are cleared and the weights stepped."""
