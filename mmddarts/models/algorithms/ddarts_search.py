"""The bi-level (first-order) D-DARTS search algorithm as an mmengine model.

One ``train_step`` = one architecture step on the *arch* batch followed by one
weight step on the *weights* batch (DARTS' first-order order). The two
optimizers live in an ``OptimWrapperDict`` with keys ``'architecture'`` and
``'weights'``; the search loop hands both batches in one
``dict(weights=batch_w, arch=batch_a)``.

Gradient hygiene (the reference code and mmrazor leak both ways):

- before the arch step only the alphas' grads are cleared; the supernet's
  ``arch_step_grads`` accumulates into alphas only;
- before the weight step the weights' grads are cleared, the weight loss is
  back-propagated into the weights only (``backward(inputs=weights)``), and
  the alphas' grads are cleared again afterwards, so no optimizer ever sees a
  gradient computed on the other half of the data.

Host synchronisation: nothing in ``arch_step`` / ``weight_step`` reads a
device tensor on the host (the ablation guard, the finiteness check, the
loss scale and every log value stay on the device); ``train_step`` copies
all scalar log values to the host in one transfer (:func:`logs_to_host`),
the iteration's only synchronisation.
"""
from typing import Dict, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel

from mmddarts.registry import MODELS
from mmddarts.profiling.op_counter import host_side
from ..search.compile_cells import compile_cells
from . import arch_step_variants
from .batch_transfer import stage_batch
from .reference_dynamics import carry_weight_step_leak, reference_arch_step
from .step_timer import NULL_TIMER

OPTIM_KEYS = ('architecture', 'weights')
# 0-d arch-step logs that also go to ``latest_arch_logs`` (GenotypeExportHook
# leaves guarded steps out of the labl means and counts them).
HOOK_FLAGS = ('abl_guarded', )


def _clear_grads(params):
    for p in params:
        p.grad = None


@MODELS.register_module()
class DDartsSearch(BaseModel):
    """Search algorithm wrapping a supernet (``mmddarts.DDartsSupernet``).

    Args:
        architecture (dict | nn.Module): the supernet (config or module). It
            must provide ``arch_parameters()``, ``weight_parameters()``,
            ``named_arch_parameters()``, ``forward(x) -> logits``,
            ``arch_step_grads(...)`` and ``genotype(method, threshold)``.
        data_preprocessor (dict, optional): defaults to mmpretrain's
            ``ClsDataPreprocessor`` (ImageNet-free: no normalisation unless
            configured).
        w01 (float): weight of the zero-one loss (D-DARTS: 7, FairDARTS: 10,
            DARTS: 0).
        w_abl (float): weight of the ablation loss (0 disables it).
        ablation (str): ``'exact'`` | ``'reference'`` | ``'none'``.
        parse_methods (sequence of str): genotype parsing methods exported by
            :class:`GenotypeExportHook`.
        threshold (float): op-weight threshold of the ``sparse`` and ``edge``
            parsings.
        reference_dynamics (bool): with ``ablation='reference'`` only:
            step the alphas as the authors' released code does (per-cell
            stepping with accumulating CE gradients, the weight step's
            alpha gradient carried into the next architecture step; see
            :mod:`mmddarts.models.algorithms.reference_dynamics`), to
            reproduce their published searches. Default False: one
            gradient per owner, no leaks.
        contribution (str): ``'loo'`` (leave-one-out, default) or
            ``'shapley'`` (Monte-Carlo permutation Shapley values,
            :mod:`mmddarts.models.search.shapley`), with
            ``shapley_permutations`` (K) and ``shapley_truncation``.
        unrolled (bool): DARTS' second-order step
            (:mod:`mmddarts.models.search.unrolled`); ``unroll_lr``,
            ``unroll_momentum``, ``unroll_weight_decay`` default (None) to
            the weight optimizer's; ``unroll_eps``: the finite-difference
            step is ``unroll_eps / ||v||``.
        init_cfg (dict, optional): mmengine init config.

    ``architecture`` may hold ``compile`` (bool or dict of ``torch.compile``
    arguments): the supernet's cells are then compiled, the rest of the
    step stays eager (:mod:`mmddarts.models.search.compile_cells`; the
    runner's ``cfg.compile`` is turned into the same, see
    :class:`SearchEpochBasedTrainLoop`).
    """

    def __init__(self,
                 architecture,
                 data_preprocessor: Optional[dict] = None,
                 w01: float = 7.0,
                 w_abl: float = 0.5,
                 ablation: str = 'exact',
                 parse_methods: Sequence[str] = ('sparse', 'edge', 'darts'),
                 threshold: float = 0.85,
                 reference_dynamics: bool = False,
                 init_cfg: Optional[dict] = None,
                 **arch_step_options):
        if data_preprocessor is None:
            data_preprocessor = dict(type='mmpretrain.ClsDataPreprocessor')
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        compile_cfg = None
        if isinstance(architecture, dict):
            # ``compile``: torch.compile the cells (see compile_cells)
            architecture = dict(architecture)
            compile_cfg = architecture.pop('compile', None)
            architecture = MODELS.build(architecture)
        self.architecture = architecture
        self.compile_options = compile_cells(
            getattr(architecture, 'cells', ()), compile_cfg,
            'model.architecture.compile')
        if ablation not in ('exact', 'reference', 'none'):
            raise ValueError(f'DDartsSearch: ablation must be one of '
                             f"'exact', 'reference', 'none', got {ablation!r}")
        if reference_dynamics and ablation != 'reference':
            raise ValueError(
                "DDartsSearch: reference_dynamics=True reproduces the "
                "authors' code, which only logs the ablation: it needs "
                f"ablation='reference', got {ablation!r}")
        self.reference_dynamics = bool(reference_dynamics)
        # alpha grads the weight steps left behind (reference_dynamics)
        self.carried_alpha_grads = None
        self.carried_weight_grads = None  # and the arch step left in w
        self.w01 = float(w01)
        self.w_abl = float(w_abl)
        self.ablation = ablation
        self.parse_methods = tuple(parse_methods)
        self.threshold = float(threshold)
        arch_step_variants.configure(self, **arch_step_options)
        if self.reference_dynamics and (self.unrolled or
                                        self.contribution != 'loo'):
            raise ValueError(
                'DDartsSearch: reference_dynamics=True reproduces the '
                "authors' first-order leave-one-out loop; it cannot be "
                f'combined with unrolled={self.unrolled} / '
                f'contribution={self.contribution!r}')
        # Switched by ArchStepScheduleHook (warm-up / interval); a plain
        # attribute, not state: the hook recomputes it from the iteration.
        self.arch_update = True
        # Per-owner logs of the last arch step (for GenotypeExportHook).
        self.latest_arch_logs: Dict[str, torch.Tensor] = {}
        # Whether the last arch step's (scaled) alpha grads were all finite
        # (0-d bool tensor; None before any step). With AMP a False step
        # was skipped by the loss scaler, whatever its logged losses say.
        self.latest_arch_grads_finite: Optional[torch.Tensor] = None
        # Seconds / images of preprocessing and of both steps; a real
        # StepTimer is installed by SearchCostHook.
        self.step_timer = NULL_TIMER

    # --------------------------------------------------------- parameters
    def arch_parameters(self):
        return list(self.architecture.arch_parameters())

    def weight_parameters(self):
        return list(self.architecture.weight_parameters())

    def named_arch_parameters(self):
        return list(self.architecture.named_arch_parameters())

    def genotype(self, method='sparse', threshold=None):
        thr = self.threshold if threshold is None else threshold
        return self.architecture.genotype(method=method, threshold=thr)

    # -------------------------------------------------------------- data
    @staticmethod
    def _targets(data_samples, device):
        if data_samples is None:
            raise ValueError('DDartsSearch: the batch has no data_samples, so '
                             'there are no labels to search with')
        labels = [ds.gt_label for ds in data_samples]
        return torch.cat([torch.as_tensor(lb).reshape(-1)
                          for lb in labels]).to(device=device,
                                                dtype=torch.long)

    def _split_batch(self, data):
        if not isinstance(data, dict) or set(data) != {'weights', 'arch'}:
            keys = sorted(data) if isinstance(data, dict) else type(data)
            raise KeyError(
                'DDartsSearch.train_step expects dict(weights=batch, '
                f'arch=batch) from SearchEpochBasedTrainLoop, got {keys}; '
                "set train_cfg=dict(type='mmddarts.SearchEpochBasedTrainLoop'"
                ', ...)')
        # stacked on the host; on CUDA pinned and copied without blocking
        device = getattr(self.data_preprocessor, 'device', None) or 'cpu'
        batch_w = self.data_preprocessor(
            stage_batch(data['weights'], device), True)
        batch_a = self.data_preprocessor(
            stage_batch(data['arch'], device), True)
        return batch_w, batch_a

    @staticmethod
    def _check_optim(optim_wrapper):
        missing = [k for k in OPTIM_KEYS if k not in optim_wrapper]
        if missing:
            raise KeyError(
                f'DDartsSearch needs an OptimWrapperDict with keys '
                f'{OPTIM_KEYS}; missing {missing}. Use '
                "optim_wrapper=dict(constructor='mmddarts."
                "SearchOptimWrapperConstructor', architecture=..., "
                'weights=...)')

    # ------------------------------------------------------------- steps
    def train_step(self, data, optim_wrapper, reduce=None):
        """One search iteration; returns scalar log vars.

        ``reduce(tensors)`` averages a list of tensors over ranks in place
        (:class:`DDartsSearchDDP` passes one; ``None`` on a single process).
        """
        self._check_optim(optim_wrapper)
        if self.compile_options is not None:
            # compiled cells: one CUDA-graph generation per iteration
            # (mode='reduce-overhead'); a counter bump otherwise
            torch.compiler.cudagraph_mark_step_begin()
        timer = self.step_timer
        with timer.time('preprocess'):
            batch_w, batch_a = self._split_batch(data)
        log_vars = {}
        if self.arch_update:
            with timer.time('arch', images=len(batch_a['inputs'])):
                log_vars.update(
                    self.arch_step(batch_a, optim_wrapper['architecture'],
                                   reduce, unroll=(batch_w, optim_wrapper[
                                       'weights']) if self.unrolled else None))
        with timer.time('weights', images=len(batch_w['inputs'])):
            log_vars.update(
                self.weight_step(batch_w, optim_wrapper['weights'], reduce))
        return logs_to_host(log_vars)

    def arch_step(self, batch, optim_wrapper, reduce=None, unroll=None):
        """Architecture update on a preprocessed batch.

        ``reduce(tensors)`` (DDP) goes to the supernet, which averages the
        losses and per-rank gradient terms before combining them (the
        ablation gradient is not linear in them), so the alphas' grads and
        logs come out identical on every rank. ``unroll``: ``(weights batch,
        weight optim wrapper)`` for the unrolled step.
        """
        if self.reference_dynamics:
            return reference_arch_step(self, batch, optim_wrapper, reduce)
        alphas = self.arch_parameters()
        _clear_grads(alphas)
        inputs = batch['inputs']
        targets = self._targets(batch['data_samples'], inputs.device)
        with optim_wrapper.optim_context(self):
            loss_scale = _loss_scale(optim_wrapper, inputs.device)
            if unroll is not None:
                unroll = (unroll[0]['inputs'], self._targets(
                    unroll[0]['data_samples'], inputs.device), unroll[1])
            logs = arch_step_variants.arch_grads(
                self, inputs, targets, loss_scale,
                self._ablation_generator(inputs.device), reduce, unroll)
        # An fp16 overflow shows in the scaled gradients, not in the
        # forward losses: this is the GradScaler's own skip criterion.
        grads = [a.grad for a in alphas if a.grad is not None]
        finite = torch.stack([torch.isfinite(g).all() for g in grads]).all() \
            if grads else torch.ones((), dtype=torch.bool)
        optim_wrapper.step()
        _clear_grads(alphas)
        log_vars = self._arch_log_vars(logs)
        self.latest_arch_grads_finite = finite.detach()
        log_vars['arch_grads_finite'] = finite.detach().float()
        return log_vars

    def weight_step(self, batch, optim_wrapper, reduce=None):
        """First-order weight update on a preprocessed batch."""
        weights = self.weight_parameters()
        _clear_grads(weights)
        inputs = batch['inputs']
        targets = self._targets(batch['data_samples'], inputs.device)
        with optim_wrapper.optim_context(self):
            logits = self.architecture(inputs)
            loss = F.cross_entropy(logits.float(), targets)
        # inputs=weights: the alphas get no gradient from the weights batch
        # (and autograd skips their branches).
        optim_wrapper.backward(loss, inputs=weights + (
            self.arch_parameters() if self.reference_dynamics else []))
        if self.reference_dynamics:  # the authors' leaks, both ways
            carry_weight_step_leak(self, optim_wrapper, reduce)
        _clear_grads(self.arch_parameters())
        if reduce is not None:
            reduce([p.grad for p in weights if p.grad is not None])
        optim_wrapper.step()
        _clear_grads(weights)
        with torch.no_grad():
            acc = (logits.argmax(1) == targets).float().mean()
        log_vars = dict(loss=loss.detach(), acc=acc)
        # mmddarts' wrappers keep the clipped norm on the device (mmengine's
        # would have read it into the message hub as train/grad_norm)
        pop = getattr(optim_wrapper, 'pop_grad_norm', None)
        norm = pop() if pop is not None else None
        if norm is not None:
            log_vars['grad_norm'] = norm
        return log_vars

    def _ablation_generator(self, device):
        """A generator for the random op weights of ablated cells, seeded from
        the global torch RNG: reproducible under the loop's per-epoch seeding
        (so a resumed search replays the same draws) and identical on every
        rank unless ``diff_rank_seed`` is set."""
        if self.ablation == 'none':
            return None
        with host_side():  # the CPU RNG: no device to wait for
            seed = int(torch.randint(0, 2**62, (1, )).item())
        gen = torch.Generator(device=device)
        gen.manual_seed(seed)
        return gen

    def _arch_log_vars(self, logs):
        """Scalars for the logger; per-owner vectors and the
        :data:`HOOK_FLAGS` kept for the hooks."""
        per_owner = {}
        log_vars = {}
        for key, value in logs.items():
            value = _as_tensor(value)
            if value is None:
                continue
            value = value.detach().float()
            # Per-owner logs are 1-d even with a single alpha set (DARTOpti
            # ResNet18): decide by shape, not by size.
            # kept on the device: the hooks accumulate them there
            if value.dim() == 0:
                log_vars[f'arch_{key}'] = value
                if key in HOOK_FLAGS:  # per-step flags the hooks count
                    per_owner[key] = value
            else:
                per_owner[key] = value.reshape(-1)
                log_vars[f'arch_{key}'] = value.mean()
        self.latest_arch_logs = per_owner
        return log_vars

    # ---------------------------------------------------------- inference
    def forward(self, inputs, data_samples=None, mode='tensor'):
        if mode == 'tensor':
            return self.architecture(inputs)
        if mode == 'loss':
            logits = self.architecture(inputs)
            targets = self._targets(data_samples, inputs.device)
            return dict(loss=F.cross_entropy(logits.float(), targets))
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'DDartsSearch: invalid mode {mode!r}; expected '
                           "'tensor', 'loss' or 'predict'")

    def predict(self, inputs, data_samples=None):
        """Supernet predictions as mmpretrain ``DataSample`` s (so the
        ``mmpretrain.Accuracy`` metric validates the supernet)."""
        from mmpretrain.structures import DataSample
        logits = self.architecture(inputs).float()
        scores = F.softmax(logits, dim=1)
        labels = scores.argmax(dim=1, keepdim=True).detach()
        if data_samples is None:
            data_samples = [DataSample() for _ in range(scores.size(0))]
        for ds, score, label in zip(data_samples, scores, labels):
            ds.set_pred_score(score).set_pred_label(label)
        return data_samples


def _as_tensor(value):
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (int, float)):
        return torch.tensor(float(value))
    if isinstance(value, (list, tuple)) and value:
        return torch.stack([torch.as_tensor(v).float().reshape(())
                            for v in value])
    return None


def _loss_scale(optim_wrapper, device):
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


def logs_to_host(log_vars):
    """``log_vars`` with every 0-d tensor copied to the host, in ONE
    transfer per dtype (one in practice): the values are stacked on the
    device first. The loggers' ``.item()`` on the host copies is then free.
    Other values are returned unchanged."""
    groups = {}
    for key, value in log_vars.items():
        if isinstance(value, torch.Tensor) and value.dim() == 0:
            groups.setdefault((value.device, value.dtype), []).append(key)
    out = dict(log_vars)
    for keys in groups.values():
        host = torch.stack([log_vars[k].detach() for k in keys]).cpu()
        out.update(zip(keys, host.unbind()))
    return out
