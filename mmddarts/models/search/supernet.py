"""The D-DARTS search supernet (also DARTS / FairDARTS / DARTOpti)."""
import torch
import torch.nn as nn

from mmddarts.registry import MODELS
from mmddarts.structures.parsing import parse_genotype
from mmddarts.structures.genotype import default_reductions
from mmddarts.structures.op_sets import NONE_OP, get_op_names
from mmddarts.utils.deprecation import pop_renamed, warn_deprecated
from ..optional_extra_state import OptionalExtraStateMixin
from .ablation import arch_step_grads
from .contract import BaseSearchSupernet
from .mixed_op import MIXINGS, mix
from .search_cell import SearchCell, cell_num_edges
from .supernet_arch import (SUPERNET_FORMAT, decode_record, encode_record,
                            record_difference, record_summary,
                            supernet_record)

# |mean(mc)| below 10% of mean(|mc|): on an 8-cell supernet at init such
# near-cancelling batches gave ablation gradients ~1,000x the CE one.
REL_EPS_DEFAULT = 0.1
ALPHA_MODES = ('individual', 'shared')
# How the zero-one loss reduces over alpha owners (see arch_step_grads).
ZERO_ONE_REDUCTIONS = ('owner', 'joint')
# ``ablation_cfg`` keys and defaults (release d025874: flat ``ablation_<key>``
# arguments, still accepted with a warning).
ABLATION_CFG_DEFAULTS = dict(eps=1e-8, rel_eps=REL_EPS_DEFAULT, chunk=None,
                             checkpoint=None, prefix_member=None,
                             defaults=None)


def resolve_ablation_cfg(ablation_cfg, legacy, owner):
    """The full, validated ablation options: the defaults updated with
    ``ablation_cfg`` and the old flat ``ablation_<key>`` entries popped from
    ``legacy`` (a kwargs dict; warned)."""
    given = dict(ablation_cfg or {})
    unknown = sorted(set(given) - set(ABLATION_CFG_DEFAULTS))
    if unknown:
        raise ValueError(f'{owner}: unknown ablation_cfg key(s) {unknown}; '
                         f'expected {sorted(ABLATION_CFG_DEFAULTS)}')
    for key in ABLATION_CFG_DEFAULTS:
        old = f'ablation_{key}'
        if old not in legacy:
            continue
        if key in given:
            raise TypeError(f'{owner}: got both ablation_cfg.{key} and its '
                            f'old name {old!r}; keep ablation_cfg.{key}')
        warn_deprecated(f'{owner}: {old!r} is deprecated, use '
                        f'ablation_cfg=dict({key}=...)', stacklevel=4)
        given[key] = legacy.pop(old)
    cfg = dict(ABLATION_CFG_DEFAULTS, **given)
    if not 0. <= cfg['rel_eps'] < 1.:
        raise ValueError(f'{owner}: ablation_cfg.rel_eps must lie in '
                         f'[0, 1), got {cfg["rel_eps"]}')
    chunk = cfg['chunk']
    if chunk is not None and (isinstance(chunk, bool)
                              or not isinstance(chunk, int) or chunk < 1):
        raise ValueError(f'{owner}: ablation_cfg.chunk must be a '
                         f'positive int or None, got {chunk!r}')
    for key in ('checkpoint', 'prefix_member'):
        if cfg[key] is not None and not isinstance(cfg[key], bool):
            raise ValueError(f'{owner}: ablation_cfg.{key} must be True, '
                             f'False or None, got {cfg[key]!r}')
    if cfg['defaults'] not in (None, 'cuda', 'cpu'):
        raise ValueError(f"{owner}: ablation_cfg.defaults must be 'cuda', "
                         f"'cpu' or None, got {cfg['defaults']!r}")
    return cfg


@MODELS.register_module()
class DDartsSupernet(OptionalExtraStateMixin, BaseSearchSupernet):
    """Search supernet: a CIFAR stem, ``num_cells`` search cells, global
    pooling and a linear classifier. Architecture weights (alpha) belong to
    *alpha owners*; each cell reads the alpha of its owner.

    Args:
        num_classes (int): classifier outputs.
        channels (int): channels of each node in the first cells (doubled
            at every reduction cell); the old name ``C`` is accepted with a
            warning.
        num_cells (int): cells N (8 by default).
        steps (int): intermediate nodes per cell (4 -> 14 edges).
        stem_multiplier (int): the stem outputs ``stem_multiplier *
            channels``.
        in_channels (int): image channels.
        reductions (list[int], optional): reduction cell positions; default
            ``N//3, 2N//3``.
        alpha_mode (str): ``'individual'`` (D-DARTS: every cell owns its
            alpha) or ``'shared'`` (DARTS / FairDARTS: one normal and one
            reduction set). Ignored when ``alpha_owners`` is given.
        alpha_owners (list[int], optional): explicit owner of each cell
            (DARTOpti: cells with the same baseline gene share an alpha set);
            owners must be ``0..K-1``, each used at least once.
        init_alphas (list, optional): the initial alpha of every owner
            (tensor / array ``[edges, ops]``); default ``1e-3 * randn``.
        mixing (str): ``'sigmoid'`` (FairDARTS, D-DARTS) or ``'softmax'``
            (DARTS).
        op_set (str): ``'darts'`` (7 ops), ``'darts_noskip'`` (ACA: the
            DARTS ops less ``skip_connect``, docs/aca.md) or ``'extended'``
            (12 ops).
        op_affine (bool): learnable BN parameters in the candidate ops
            (DARTS: False); ACA's ``bn_gamma`` importance needs True.
        with_none (bool, optional): add DARTS' ``'none'`` op as the first
            column; default: with softmax only.
        zero_one_reduction (str, optional): ``'owner'``: one zero-one mean
            per alpha owner, each owner's gradient carrying the full
            ``w01`` (D-DARTS' per-cell objective; the authors' DARTOpti
            code also gives each owning cell its own loss and optimizer);
            ``'joint'``: ONE mean over every owner's alphas (FairDARTS /
            DARTS with shared normal and reduction sets, whose single
            objective is ``-mse(cat(sigmoid(a_normal),
            sigmoid(a_reduce)), 0.5)``). Default: ``'joint'`` with
            ``alpha_mode='shared'``, else ``'owner'``.
        ablation_cfg (dict, optional): how the ablations are guarded and
            run (each key optional; the flat ``ablation_<key>`` arguments of
            release d025874 are accepted with a warning):

            - ``eps`` (float, 1e-8): ``|mean(mc)|`` at or below which the
              ablation loss and its gradient are set to 0.
            - ``rel_eps`` (float, 0.1): the same guard relative to the
              contributions' scale: it fires when ``|mean(mc)| <= rel_eps
              * mean(|mc|)``, in [0, 1) (see
              :func:`mmddarts.models.losses.ablation_loss.ablation_guard`);
              0 keeps the absolute guard only.
            - ``chunk`` (int, optional): ablations per batched pass of the
              architecture step (:mod:`.ablation_batch`): fewer kernel
              launches with more, less memory with fewer; ``1`` runs them
              one by one.
            - ``checkpoint`` (bool, optional): keep only each batched
              ablated cell's inputs and recompute the cell during the
              backward (``'exact'`` mode; one more forward of the
              ablations).
            - ``prefix_member`` (bool, optional): in ``'exact'`` mode with
              one ablation batch, run the full network as one more member
              of it: fewer launches, one more batched forward (and
              recompute) of arithmetic. Otherwise the ablations start from
              graph-free records of the full pass (one more forward without
              a graph) and their cotangents go through the full pass' graph
              after the CE backward.
            - ``defaults`` (str, optional): ``'cuda'`` or ``'cpu'``: the
              device kind whose defaults the three options above take when
              unset; None (default): the kind of the step's inputs. An
              accelerator (launch-bound): all ablations in one batch, the
              full network in it, checkpointed; a CPU (arithmetic-bound):
              one by one, no recompute. Peak memory stays about that of a
              weight step either way (:func:`.ablation.ablation_plan`). All
              choices give the same numbers.

    The contract used by the search algorithm and the architecture-step
    strategies is :class:`~.contract.BaseSearchSupernet` (checked with
    ``isinstance``). Besides it, ``arch_step_grads(...)`` runs the
    leave-one-out step on this supernet (a shortcut for
    :func:`mmddarts.models.search.ablation.arch_step_grads`; the search
    algorithm goes through its strategy,
    :class:`~mmddarts.models.arch_steps.LeaveOneOutArchStep`).
    """

    def __init__(self,
                 num_classes=10,
                 channels=16,
                 num_cells=8,
                 steps=4,
                 stem_multiplier=3,
                 in_channels=3,
                 reductions=None,
                 alpha_mode='individual',
                 alpha_owners=None,
                 init_alphas=None,
                 mixing='sigmoid',
                 op_set='darts',
                 with_none=None,
                 ablation_cfg=None,
                 zero_one_reduction=None,
                 init_cfg=None,
                 op_affine=False,
                 **deprecated):
        owner = type(self).__name__
        channels = pop_renamed(deprecated, 'C', 'channels', owner, channels)
        abl_cfg = resolve_ablation_cfg(ablation_cfg, deprecated, owner)
        if deprecated:
            raise TypeError(f'{owner}: unexpected keyword argument(s) '
                            f'{sorted(deprecated)}')
        super().__init__(init_cfg=init_cfg)
        if mixing not in MIXINGS:
            raise ValueError(f'DDartsSupernet: unknown mixing {mixing!r}; '
                             f'expected one of {MIXINGS}')
        if with_none is None:
            with_none = mixing == 'softmax'
        self.mixing = mixing
        self.op_set = op_set
        self.op_names = ((NONE_OP, ) if with_none else ()) + tuple(
            get_op_names(op_set))
        self.num_cells = num_cells
        self.steps = steps
        self.num_edges = cell_num_edges(steps)
        self.channels = int(channels)
        self.ablation_cfg = abl_cfg
        if reductions is None:
            reductions = default_reductions(num_cells)
        self.reductions = tuple(int(r) for r in reductions)
        bad = [r for r in self.reductions if not 0 <= r < num_cells]
        if bad or list(self.reductions) != sorted(set(self.reductions)):
            raise ValueError(
                f'DDartsSupernet: reductions {list(self.reductions)} must be '
                f'strictly increasing cell positions in 0..{num_cells - 1}')
        self.alpha_owners = self._resolve_owners(alpha_mode, alpha_owners)
        if zero_one_reduction is None:
            zero_one_reduction = ('joint' if alpha_mode == 'shared'
                                  and alpha_owners is None else 'owner')
        if zero_one_reduction not in ZERO_ONE_REDUCTIONS:
            raise ValueError(
                f'DDartsSupernet: unknown zero_one_reduction '
                f'{zero_one_reduction!r}; expected one of '
                f'{ZERO_ONE_REDUCTIONS}')
        self.zero_one_reduction = zero_one_reduction
        self.num_owners = max(self.alpha_owners) + 1
        # cells of each owner, in position order (ablation j randomises all)
        self.owner_cells = [[k for k, o in enumerate(self.alpha_owners)
                             if o == j] for j in range(self.num_owners)]

        # recorded in the state dict with the structure (supernet_arch)
        self.shape_args = dict(channels=int(channels),
                               stem_multiplier=int(stem_multiplier),
                               in_channels=int(in_channels),
                               num_classes=int(num_classes))
        C_stem = stem_multiplier * channels
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, C_stem, 3, padding=1, bias=False),
            nn.BatchNorm2d(C_stem))
        C_pp, C_p, C_curr = C_stem, C_stem, channels
        self.cells = nn.ModuleList()
        reduction_prev = False
        for k in range(num_cells):
            reduction = k in self.reductions
            if reduction:
                C_curr *= 2
            cell = SearchCell(steps, C_pp, C_p, C_curr, reduction,
                              reduction_prev, self.op_names,
                              op_affine=op_affine)
            self.cells.append(cell)
            reduction_prev = reduction
            C_pp, C_p = C_p, cell.out_channels
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(C_p, num_classes)

        shape = (self.num_edges, len(self.op_names))
        if init_alphas is None:
            init_alphas = [1e-3 * torch.randn(shape)
                           for _ in range(self.num_owners)]
        if len(init_alphas) != self.num_owners:
            raise ValueError(
                f'DDartsSupernet: init_alphas has {len(init_alphas)} '
                f'tensors but there are {self.num_owners} alpha owners')
        alphas = []
        for j, a in enumerate(init_alphas):
            a = torch.as_tensor(a, dtype=torch.get_default_dtype())
            if tuple(a.shape) != shape:
                raise ValueError(
                    f'DDartsSupernet: init_alphas[{j}] has shape '
                    f'{tuple(a.shape)}, expected {shape} (edges, ops '
                    f'{list(self.op_names)})')
            alphas.append(nn.Parameter(a.clone()))
        self.alphas = nn.ParameterList(alphas)

    # ------------------------------------------------------------ building
    def _resolve_owners(self, alpha_mode, alpha_owners):
        n = self.num_cells
        if alpha_owners is not None:
            owners = [int(o) for o in alpha_owners]
            if len(owners) != n:
                raise ValueError(
                    f'DDartsSupernet: alpha_owners has {len(owners)} entries '
                    f'for {n} cells')
            used = set(owners)
            if min(owners) < 0 or used != set(range(max(owners) + 1)):
                raise ValueError(
                    f'DDartsSupernet: alpha_owners {owners} must use every '
                    f'owner 0..K-1 (an unused alpha set gets no gradient)')
            return owners
        if alpha_mode == 'individual':
            return list(range(n))
        if alpha_mode == 'shared':
            if not self.reductions:
                return [0] * n
            return [int(k in self.reductions) for k in range(n)]
        raise ValueError(f'DDartsSupernet: unknown alpha_mode '
                         f'{alpha_mode!r}; expected one of {ALPHA_MODES}')

    # ------------------------------------------------- structure record
    def arch_record(self):
        """What this supernet writes next to its weights
        (:mod:`.supernet_arch`)."""
        return supernet_record(self)

    def get_extra_state(self):
        return encode_record(self.arch_record())

    def set_extra_state(self, state):
        # a different structure is refused before any weight is copied
        theirs = decode_record(state, SUPERNET_FORMAT)
        if theirs is None:
            return
        diff = record_difference(self.arch_record(), theirs)
        if diff:
            field, got, want = diff
            raise RuntimeError(
                f'{type(self).__name__}: the checkpoint holds another '
                f'supernet ({field}: checkpoint {got}, this one {want}). '
                f'Checkpoint: {record_summary(theirs)}. Use the config and '
                '--cfg-options it was searched with; no partial load')

    # ----------------------------------------------------------- parameters
    def arch_parameters(self):
        return list(self.alphas)

    def named_arch_parameters(self):
        return [(f'alphas.{j}', a) for j, a in enumerate(self.alphas)]

    def weight_parameters(self):
        arch = {id(a) for a in self.alphas}
        return [p for p in self.parameters() if id(p) not in arch]

    def named_weight_parameters(self):
        arch = {id(a) for a in self.alphas}
        return [(n, p) for n, p in self.named_parameters()
                if id(p) not in arch]

    def cell_weights(self, owner):
        """Op weights ``[edges, ops]`` of alpha owner ``owner``."""
        return mix(self.alphas[owner], self.mixing)

    def position_weights(self):
        """Op weights of every cell position (shared owners share them)."""
        per_owner = [self.cell_weights(j) for j in range(self.num_owners)]
        return [per_owner[o] for o in self.alpha_owners]

    # -------------------------------------------------------------- forward
    def stem_forward(self, x):
        return self.stem(x)

    def cells_forward(self, s0, s1, weights, start=0, record=None):
        """Run cells ``start..N-1`` from inputs ``(s0, s1)``; append each
        cell's output to ``record`` if given; return the last output."""
        for k in range(start, self.num_cells):
            out = self.cells[k](s0, s1, weights[k])
            if record is not None:
                record.append(out)
            s0, s1 = s1, out
        return s1

    def head_forward(self, feat):
        return self.classifier(self.global_pool(feat).flatten(1))

    def forward(self, x, weights=None):
        if weights is None:
            weights = self.position_weights()
        elif len(weights) != self.num_cells:
            raise ValueError(f'forward: got weights for {len(weights)} '
                             f'cells, the supernet has {self.num_cells}')
        s = self.stem_forward(x)
        return self.head_forward(self.cells_forward(s, s, weights))

    # ------------------------------------------------------ search helpers
    def draw_ablation_weights(self, owner, generator=None):
        """Random op weights U[0, 1) replacing those of every cell of
        ``owner``: ONE ``torch.rand`` of shape [cells, edges, ops] on the
        alpha's device (``generator`` must live on that device)."""
        a = self.alphas[owner]
        shape = (len(self.owner_cells[owner]), ) + tuple(a.shape)
        if (generator is not None
                and generator.device.type != a.device.type):
            raise ValueError(
                f'draw_ablation_weights: generator is on {generator.device} '
                f'but alpha is on {a.device}; create the generator with '
                f'torch.Generator(device={str(a.device)!r})')
        return torch.rand(shape, generator=generator, device=a.device,
                          dtype=a.dtype)

    def arch_step_grads(self, inputs, targets, w01=7.0, w_abl=0.5,
                        ablation='exact', loss_scale=1.0, generator=None,
                        reduce=None):
        """See :func:`mmddarts.models.search.ablation.arch_step_grads`."""
        return arch_step_grads(self, inputs, targets, w01=w01, w_abl=w_abl,
                               ablation=ablation, loss_scale=loss_scale,
                               generator=generator, reduce=reduce)

    @torch.no_grad()
    def genotype(self, method='sparse', threshold=0.85, meta=None,
                 strict=False):
        """Parse the current alphas (see :mod:`mmddarts.structures.parsing`;
        ``strict``: an empty gene is an error, not a warned fallback)."""
        weights = [self.cell_weights(j).detach().float().cpu()
                   for j in range(self.num_owners)]
        return parse_genotype(
            weights, self.op_names, seq=self.alpha_owners,
            reductions=self.reductions, steps=self.steps, method=method,
            threshold=threshold, op_set=self.op_set, meta=meta,
            strict=strict)
