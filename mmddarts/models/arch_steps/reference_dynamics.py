"""The D-DARTS authors' search dynamics, for reproduction studies
(``arch_strategy=dict(type='mmddarts.ReferenceDynamicsArchStep')``).

What the released code does (aheuillet/D-DARTS, ``architect.py`` and
``train_search.py``), and what our default search does instead:

- Architecture step: ONE forward on the arch batch, then for each owning
  cell k in position order, ``backward(retain_graph=True)`` of cell k's loss
  ``CE + w01 * L01_k`` (``L01_k = -mse(sigmoid(alpha_k), 0.5)``; the
  ablation term is a constant there) into EVERY cell's alpha, a step of cell
  k's own Adam and a zero of cell k's grads only. Later cells keep the CE
  gradients of earlier backwards: cell k is stepped with
  ``(k + 1) * dCE/dalpha_k + w01 * dL01_k/dalpha_k`` (plus what earlier
  iterations left), and keeps the ``K - 1 - k`` CE gradients of the
  backwards after its zeroing for the next architecture step.
  The retained graph holds the forward values, so every backward gives the
  same ``dCE/dalpha``: we compute it once and add it k + 1 times, which is
  the same sum. Those K backwards also reach the network weights, whose
  grads are only zeroed after the weight step: the weights are stepped with
  ``K * dCE_arch/dw + dCE_train/dw`` (clipped together).
- Weight step: ``(CE_train + w01 * L01_all).backward()`` with
  ``L01_all = -mse(sigmoid(all alphas stacked), 0.5)`` (ONE mean over all
  owners) also writes ``dCE_train/dalpha + w01 * dL01_all/dalpha`` into the
  alphas' grads, which are plain tensors no optimizer zeroes: the next
  architecture step starts from them. Steps without an architecture update
  (DARTOpti's pretraining epochs) keep accumulating them.

Our default search clears all three leaks and gives every owner one gradient
(docs/search.md, the strategies table). Not reproduced here, none of which
changes a step: the BN running statistics the authors' contribution passes
update (train-mode BN normalises with batch statistics; only validation sees
them), their python ``random()`` ablation draws and their ablation of only
the first cell of a shared (DARTOpti) owner (both change the logged
contributions only). AMP's loss scale is read once per architecture step
(the authors update it once per iteration too). The carried gradients are
not checkpointed (nor are they in the authors' checkpoints).
"""
import torch
import torch.nn.functional as F

from mmddarts.registry import MODELS
from ..losses.zero_one_loss import zero_one_loss, zero_one_loss_joint
from ..search.ablation import arch_step_grads, frozen_bn_stats
from ..search.ablation_batch import member_order
from .base import BaseArchStep, clear_grads, loss_scale_of


def step_owners_in_turn(alphas, order, optimizer, ce_grads, w01, carried):
    """The authors' per-cell loop on precomputed gradients.

    Args:
        alphas (list[Parameter]): one per owner.
        order (list[int]): owners in stepping order (the authors' loop:
            by the position of their first cell, ``member_order``).
        optimizer: ONE optimizer over all alphas whose update of a parameter
            only reads that parameter's grad and state (Adam: element-wise,
            params with ``grad=None`` are skipped), so stepping it with only
            owner k's grad set is a step of owner k's own optimizer.
        ce_grads (list[Tensor]): unscaled ``dCE/dalpha`` of the arch batch.
        w01 (float): zero-one weight of each cell's loss.
        carried (list[Tensor] | None): grads left in the alphas by earlier
            weight steps.

    Returns:
        tuple: ``(finite, left)``: whether every owner's gradient was
        finite (a 0-d bool tensor; a non-finite one is not stepped, as a
        GradScaler would skip it), and the grads left in the alphas after
        the loop: the owner stepped j-th still holds the CE gradients of the
        K - 1 - j backwards that came after its zeroing.

    A fused optimizer (what the search constructor builds for Adam) skips a
    non-finite step itself, given ``found_inf`` as GradScaler gives it, so
    the loop never reads a device value on the host; others read
    ``finite`` once per owner.
    """
    acc = ([c.clone() for c in carried] if carried is not None else
           [torch.zeros_like(a) for a in alphas])
    all_finite = torch.ones((), dtype=torch.bool, device=alphas[0].device)
    fused = bool(optimizer.defaults.get('fused'))
    for k in order:
        for t, g in zip(acc, ce_grads):  # backward of cell k's CE: all cells
            t += g
        if w01:
            with torch.enable_grad():
                a = alphas[k]
                acc[k] += w01 * torch.autograd.grad(zero_one_loss(a), a)[0]
        finite = torch.isfinite(acc[k]).all()
        all_finite = all_finite & finite
        if fused or bool(finite):
            for j, a in enumerate(alphas):
                a.grad = acc[k] if j == k else None
            if fused:  # the kernel skips the update (and the step count)
                optimizer.found_inf = (~finite).float()
                try:
                    optimizer.step()
                finally:
                    del optimizer.found_inf
            else:
                optimizer.step()
        for a in alphas:
            a.grad = None
        acc[k] = torch.zeros_like(acc[k])  # zero cell k's grads only
    return all_finite, acc


def weight_step_leak(alphas, loss_scale, w01):
    """The alpha gradient the authors' weight step leaves behind, from the
    alphas' ``.grad`` after a backward of ``loss_scale * CE_train``:
    ``dCE_train/dalpha + w01 * dL01_all/dalpha`` (unscaled; zeros where the
    backward overflowed, so one skipped fp16 step cannot poison the search).
    """
    with torch.enable_grad():
        l01 = _grads_of(zero_one_loss_joint(alphas), alphas) if w01 else None
    leak = []
    for i, a in enumerate(alphas):
        g = (torch.zeros_like(a) if a.grad is None else
             a.grad.detach().to(a.dtype) / loss_scale)
        g = torch.where(torch.isfinite(g).all(), g, torch.zeros_like(g))
        if l01 is not None:
            g = g + w01 * l01[i]
        leak.append(g)
    return leak


def _grads_of(loss, params):
    return [g.detach() for g in torch.autograd.grad(loss, params)]


@MODELS.register_module()
class ReferenceDynamicsArchStep(BaseArchStep):
    """The authors' search dynamics (module docstring), to reproduce their
    published searches: per-owner stepping with accumulating CE gradients,
    the weight step's alpha gradient carried into the next architecture
    step and the architecture step's ``K * dCE/dw`` into the next weight
    step. The ablation is measured and logged only.

    Args:
        w01, w_abl: see :class:`BaseArchStep`.
        ablation (str): must be ``'reference'`` (the authors' code only logs
            the ablation).

    State (not checkpointed, nor in the authors' checkpoints):
    ``carried_alpha_grads`` (what the weight steps left in the alphas) and
    ``carried_weight_grads`` (what the last architecture step left in the
    weights).
    """

    def __init__(self, w01=7.0, w_abl=0.5, ablation='reference'):
        super().__init__(w01=w01, w_abl=w_abl, ablation=ablation)
        if ablation != 'reference':
            raise ValueError(
                f'{type(self).__name__} reproduces the authors\' code, '
                "which only logs the ablation: it needs ablation="
                f"'reference', got {ablation!r}")
        self.carried_alpha_grads = None
        self.carried_weight_grads = None

    def grads(self, net, inputs, targets, loss_scale=1.0, generator=None,
              reduce=None, unroll=None, weight_grads=None):
        """``loss_scale * dCE/dalpha`` into the alphas' grads and the
        contributions measured under ``no_grad`` (``w01=0``: every owner's
        zero-one term is added in :meth:`step`'s loop)."""
        return arch_step_grads(
            net, inputs, targets, w01=0.0, w_abl=self.w_abl,
            ablation='reference', loss_scale=loss_scale,
            generator=generator, reduce=reduce, weight_grads=weight_grads)

    def step(self, net, inputs, targets, optim_wrapper, reduce=None,
             unroll=None, model=None):
        """The authors' architecture step; returns ``(logs, finite)`` as
        :meth:`BaseArchStep.step`. Logs as the plain ``'reference'`` mode
        (``mc``, ``labl``... measured under ``no_grad``)."""
        context = model if model is not None else net
        alphas = net.arch_parameters()
        clear_grads(alphas)
        with optim_wrapper.optim_context(context):
            loss_scale = loss_scale_of(optim_wrapper, inputs.device)
            logs = self.grads(net, inputs, targets, loss_scale=loss_scale,
                              generator=self.generator(inputs.device),
                              reduce=reduce)
        ce_grads = [torch.zeros_like(a) if a.grad is None else
                    a.grad.detach().to(a.dtype) / loss_scale for a in alphas]
        clear_grads(alphas)
        # The K backwards of the authors' loop also leave K * dCE/dw in the
        # weights' grads. Same forward values again (train-mode BN
        # normalises with the batch statistics; running stats are left
        # alone this time).
        weights = net.weight_parameters()
        with frozen_bn_stats(net), optim_wrapper.optim_context(context):
            ce = F.cross_entropy(net(inputs).float(), targets)
        gw = torch.autograd.grad(ce * loss_scale, weights, allow_unused=True)
        k = float(net.num_owners)
        self.carried_weight_grads = [
            torch.zeros_like(p) if g is None else g.detach() * (k / loss_scale)
            for p, g in zip(weights, gw)]
        finite, left = step_owners_in_turn(alphas, member_order(net),
                                           optim_wrapper.optimizer, ce_grads,
                                           self.w01, self.carried_alpha_grads)
        self.carried_alpha_grads = left
        scaler = getattr(optim_wrapper, 'loss_scaler', None)
        if scaler is not None and scaler.is_enabled():
            # backed off after an overflow, else unchanged (no host read)
            scaler.update(torch.where(
                finite, loss_scale, loss_scale * scaler.get_backoff_factor()))
        logs['loss'] = logs['loss'] + self.w01 * logs['l01'].mean()
        return logs, finite

    def weight_backward_params(self, net):
        return net.arch_parameters()  # the authors' leak into the alphas

    def after_weight_backward(self, net, optim_wrapper, reduce=None):
        """After the weight step's backward (into weights AND alphas): move
        the alphas' grads, unscaled, plus the weight step's zero-one term,
        into ``carried_alpha_grads`` (accumulating) and clear them; add the
        last architecture step's ``K * dCE/dw`` to the weights' grads
        (scaled like them, for the wrapper to unscale and clip)."""
        alphas = net.arch_parameters()
        scale = loss_scale_of(optim_wrapper, alphas[0].device)
        if self.carried_weight_grads is not None:
            for p, g in zip(net.weight_parameters(),
                            self.carried_weight_grads):
                g = g.to(p.dtype) * scale
                p.grad = g if p.grad is None else p.grad + g
            self.carried_weight_grads = None
        leak = weight_step_leak(alphas, scale, self.w01)
        clear_grads(alphas)
        if reduce is not None:
            reduce(leak)
        prev = self.carried_alpha_grads
        self.carried_alpha_grads = (leak if prev is None else
                                    [p + g for p, g in zip(prev, leak)])
