"""The bi-level (first-order) D-DARTS search algorithm as an mmengine model.

One ``train_step`` = one architecture step on the *arch* batch followed by one
weight step on the *weights* batch (DARTS' first-order order). The two
optimizers live in an ``OptimWrapperDict`` with keys ``'architecture'`` and
``'weights'``; the search loop hands both batches in one
``dict(weights=batch_w, arch=batch_a)``.

How the alphas are updated is the architecture-step strategy's
(``arch_strategy``, built from config as mmrazor builds its mutator; see
:mod:`mmddarts.models.arch_steps`): leave-one-out (default), Shapley,
unrolled second order, or the authors' reference dynamics.

Gradient hygiene (the reference code and mmrazor leak both ways):

- before the arch step only the alphas' grads are cleared; the strategy
  accumulates into alphas only;
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
from ..optional_extra_state import OptionalExtraStateMixin
from ..arch_steps import BaseArchStep, arch_strategy_cfg
from ..arch_steps.base import clear_grads as _clear_grads
from ..search.compile_cells import compile_cells
from ..search.contract import check_supernet
from ..search.supernet_arch import SEARCH_FORMAT, encode_record
from .batch_transfer import stage_batch
from .step_timer import NULL_TIMER

OPTIM_KEYS = ('architecture', 'weights')
# 0-d arch-step logs that also go to ``latest_arch_logs`` (GenotypeExportHook
# leaves guarded steps out of the labl means and counts them).
HOOK_FLAGS = ('abl_guarded', )


@MODELS.register_module()
class DDartsSearch(OptionalExtraStateMixin, BaseModel):
    """Search algorithm wrapping a supernet (``mmddarts.DDartsSupernet``).

    Args:
        architecture (dict | nn.Module): the supernet (config or module), a
            :class:`~mmddarts.models.search.contract.BaseSearchSupernet`.
        data_preprocessor (dict, optional): defaults to mmpretrain's
            ``ClsDataPreprocessor`` (ImageNet-free: no normalisation unless
            configured).
        arch_strategy (dict | BaseArchStep, optional): how the alphas are
            stepped (:mod:`mmddarts.models.arch_steps`), e.g.
            ``dict(type='mmddarts.LeaveOneOutArchStep', w01=7.0, w_abl=0.5,
            ablation='exact')`` (the default), ``ShapleyArchStep``,
            ``UnrolledArchStep(inner=...)`` or
            ``ReferenceDynamicsArchStep``. The objective's weights ``w01``,
            ``w_abl`` and the ``ablation`` mode are the strategy's.
        parse_methods (sequence of str): genotype parsing methods exported by
            :class:`GenotypeExportHook`.
        threshold (float): op-weight threshold of the ``sparse`` and ``edge``
            parsings.
        init_cfg (dict, optional): mmengine init config.
        **legacy: the flat options of release d025874 (``w01``, ``w_abl``,
            ``ablation``, ``reference_dynamics``, ``contribution``,
            ``shapley_*``, ``unrolled``, ``unroll_*``), mapped onto
            ``arch_strategy`` with a deprecation warning
            (:mod:`mmddarts.models.arch_steps.legacy`).

    ``architecture`` may hold ``compile`` (bool or dict of ``torch.compile``
    arguments): the supernet's cells are then compiled, the rest of the
    step stays eager (:mod:`mmddarts.models.search.compile_cells`; the
    runner's ``cfg.compile`` is turned into the same, see
    :class:`SearchEpochBasedTrainLoop`).
    """

    def __init__(self,
                 architecture,
                 data_preprocessor: Optional[dict] = None,
                 arch_strategy=None,
                 parse_methods: Sequence[str] = ('sparse', 'edge', 'darts'),
                 threshold: float = 0.85,
                 init_cfg: Optional[dict] = None,
                 **legacy):
        # before anything is built: bad options fail fast
        arch_strategy = arch_strategy_cfg(arch_strategy, legacy,
                                          type(self).__name__)
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
        check_supernet(architecture, type(self).__name__)
        self.architecture = architecture
        self.compile_options = compile_cells(
            getattr(architecture, 'cells', ()), compile_cfg,
            'model.architecture.compile')
        if isinstance(arch_strategy, dict):
            arch_strategy = MODELS.build(arch_strategy)
        if not isinstance(arch_strategy, BaseArchStep):
            raise TypeError(
                f'{type(self).__name__}: arch_strategy must build a '
                'mmddarts.models.arch_steps.BaseArchStep, got '
                f'{type(arch_strategy).__name__}')
        self.arch_strategy = arch_strategy
        self.parse_methods = tuple(parse_methods)
        self.threshold = float(threshold)
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

    # ------------------------------------------------- parsing record
    def get_extra_state(self):
        # the parsing defaults, so tools/export_genotype.py CHECKPOINT
        # needs no config (the supernet records its own structure)
        return encode_record(dict(
            format=SEARCH_FORMAT, type=type(self).__name__,
            parse_methods=list(self.parse_methods),
            threshold=self.threshold))

    def set_extra_state(self, state):
        pass  # the config's parsing defaults stay in force

    # the objective lives in the strategy; read-only views for hooks/tools
    @property
    def w01(self):
        return self.arch_strategy.w01

    @property
    def w_abl(self):
        return self.arch_strategy.w_abl

    @property
    def ablation(self):
        return self.arch_strategy.ablation

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
                unroll = ((batch_w, optim_wrapper['weights'])
                          if self.arch_strategy.needs_weights_batch else None)
                log_vars.update(
                    self.arch_step(batch_a, optim_wrapper['architecture'],
                                   reduce, unroll=unroll))
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
        inputs = batch['inputs']
        targets = self._targets(batch['data_samples'], inputs.device)
        if unroll is not None:
            unroll = (unroll[0]['inputs'], self._targets(
                unroll[0]['data_samples'], inputs.device), unroll[1])
        logs, finite = self.arch_strategy.step(
            self.architecture, inputs, targets, optim_wrapper, reduce,
            unroll, model=self)
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
        strategy = self.arch_strategy
        optim_wrapper.backward(loss, inputs=weights + list(
            strategy.weight_backward_params(self.architecture)))
        # the reference dynamics' leaks, both ways; nothing otherwise
        strategy.after_weight_backward(self.architecture, optim_wrapper,
                                       reduce)
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
