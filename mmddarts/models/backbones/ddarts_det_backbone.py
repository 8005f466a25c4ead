"""A derived (D-)DARTS network as an mmdet backbone (RetinaNet, Mask R-CNN).

Stages follow mmdet's ResNet convention: stage 0 is the stem; the cells are
cut into stages at every reduction cell, so a stage is a run of cells at one
resolution and its output is its last cell (the cell before the next
reduction, or the last cell). ``out_indices`` and ``frozen_stages`` count
these cell stages like ``ResNet(out_indices=(0, 1, 2, 3), frozen_stages=1)``.

Stage strides are the stem's stride (``STEM_STRIDES``) times 2 per reduction
cell. With D-DARTS' ImageNet stem (``'ddarts_imagenet'``, /4, the default
here and what the D-DARTS ImageNet DO-2-ResNet checkpoints used) and with
DARTS' (``'imagenet'``, /8):

========================  ===================  ===============  =============
genotype                  stage cells          ddarts_imagenet  imagenet
========================  ===================  ===============  =============
DO-2-ResNet18 (4 cells,   [0] [1] [2] [3]      4, 8, 16, 32     8, 16, 32, 64
reductions 1, 2, 3)
DARTS / D-DARTS, 8 cells  [0-1] [2-4] [5-7]    4, 8, 16         8, 16, 32
(reductions 2, 5)
14 cells (4, 9)           [0-3] [4-8] [9-13]   4, 8, 16         8, 16, 32
========================  ===================  ===============  =============

DO-2-ResNet18 with the /4 stem has ResNet's strides 4..32, so its detectors
use mmdet's standard RetinaNet / Mask R-CNN necks, anchors and RoI extractors
(FPN ``start_level=1`` for RetinaNet, 0 for Mask R-CNN). The 14-cell DARTS /
D-DARTS networks keep DARTS' /8 stem, with FPN ``start_level=0`` (see
configs/detection and docs/detection.md).
"""
import os.path as osp

from mmengine.logging import MMLogger
from torch.nn.modules.batchnorm import _BatchNorm

from mmddarts.registry import MODELS
from mmddarts.structures.genotype import gene_concat
from .ddarts_net import STEM_STRIDES, DDartsNet, resolve_genotype
from .net_arch import (EXTRA_STATE, FROM_CHECKPOINT,
                       ArchitectureMismatchError, arch_build_kwargs,
                       arch_from_init_cfg, arch_summary, recorded_difference)


def _resolve_genotype(genotype, num_cells=None, reductions=None):
    return resolve_genotype(genotype, num_cells, reductions)


def det_stages(genotype, num_cells=None, reductions=None):
    """Cell indices of each cell stage: a new stage starts at every reduction
    cell (after cell 0)."""
    genotype = _resolve_genotype(genotype, num_cells, reductions)
    stages = [[]]
    for i in range(genotype.num_cells):
        if genotype.is_reduction(i) and stages[-1]:
            stages.append([])
        stages[-1].append(i)
    return stages


def _check_out_indices(out_indices, num_stages, where='DDartsDetBackbone'):
    if out_indices is None:
        return tuple(range(num_stages))
    if isinstance(out_indices, int):
        out_indices = (out_indices, )
    checked = []
    for i in out_indices:
        if not -num_stages <= i < num_stages:
            raise ValueError(f'{where}: out_indices {i} out of range: the '
                             f'genotype has {num_stages} cell stages '
                             f'(0..{num_stages - 1})')
        checked.append(i % num_stages)
    if checked != sorted(set(checked)):
        raise ValueError(f'{where}: out_indices {tuple(out_indices)} must '
                         'name distinct stages in increasing order (FPN '
                         'expects fine-to-coarse features)')
    return tuple(checked)


def det_out_channels(genotype, channels, out_indices=None, num_cells=None,
                     concat_rule='fed', reductions=None):
    """Channels of the backbone's outputs (a neck's ``in_channels``),
    computed from the genotype without building the network.

    Each reduction cell doubles the node width C; a cell outputs
    ``len(concat) * C`` channels.
    """
    genotype = _resolve_genotype(genotype, num_cells, reductions)
    stages = det_stages(genotype)
    out_indices = _check_out_indices(out_indices, len(stages),
                                     'det_out_channels')
    widths, C = [], channels
    for i in range(genotype.num_cells):
        if genotype.is_reduction(i):
            C *= 2
        concat = gene_concat(genotype.gene(i))
        if concat_rule == 'legacy' and genotype.legacy_concat(i) is not None:
            concat = genotype.legacy_concat(i)
        widths.append(len(concat) * C)
    return [widths[stages[s][-1]] for s in out_indices]


def det_out_strides(genotype, out_indices=None, num_cells=None,
                    stem='ddarts_imagenet', reductions=None):
    """Strides of the backbone's outputs relative to the input image."""
    if stem not in STEM_STRIDES:
        raise ValueError(f'det_out_strides: unknown stem {stem!r}; known: '
                         f'{sorted(STEM_STRIDES)}')
    genotype = _resolve_genotype(genotype, num_cells, reductions)
    stages = det_stages(genotype)
    out_indices = _check_out_indices(out_indices, len(stages),
                                     'det_out_strides')
    strides = []
    for s in out_indices:
        last = stages[s][-1]
        num_red = sum(1 for r in genotype.reductions if r <= last)
        strides.append(STEM_STRIDES[stem] * 2**num_red)
    return strides


def _load_raw_checkpoint(path, map_location):
    """Load a checkpoint without running code from the file.

    Local files go through :func:`mmddarts.utils.load_from_local_allowlisted`
    (``weights_only=True`` plus the classes mmengine's CheckpointHook writes:
    ``HistoryBuffer``, numpy arrays); a file pickling anything else loads in
    full only if it was trusted with :func:`mmddarts.utils.trust_checkpoint`
    or ``$MMDDARTS_TRUSTED_CHECKPOINTS``, else it is refused. URLs and other
    schemes go to mmengine's loaders, which load with torch's default
    (``weights_only=True`` on torch >= 2.6).
    """
    from mmengine.runner import CheckpointLoader

    from mmddarts.utils.checkpoint import load_from_local_allowlisted
    if '://' not in path:
        # Called directly, not through CheckpointLoader's scheme table, so
        # the allowlist holds even if another package re-registers ''.
        return load_from_local_allowlisted(path, map_location=map_location)
    return CheckpointLoader.load_checkpoint(path, map_location=map_location)


def map_classifier_state_dict(state_dict, prefix='backbone.'):
    """Backbone weights from a classifier checkpoint's state dict.

    Keys ``backbone.*`` of a :class:`DDartsImageClassifier` lose the prefix;
    the classifier head (``head.*``), the auxiliary head (``aux_head.*``) and
    anything else are returned separately as ignored. A state dict without any
    ``prefix`` key (a bare :class:`DDartsNet`) is used as it is.
    """
    if prefix and any(k.startswith(prefix) for k in state_dict):
        kept = {k[len(prefix):]: v for k, v in state_dict.items()
                if k.startswith(prefix)}
        ignored = sorted(k for k in state_dict if not k.startswith(prefix))
        return kept, ignored
    return dict(state_dict), []


@MODELS.register_module()
class DDartsDetBackbone(DDartsNet):
    """:class:`DDartsNet` returning multi-scale features for detection.

    Args:
        genotype: a :class:`Genotype`, its dict, or a genotype file path;
            ``'from_checkpoint'``: the network recorded in ``init_cfg``'s
            Pretrained checkpoint (genotype, channels, stem; see
            :mod:`.net_arch`).
        channels: C, the node width of the first cells (DO-2-ResNet18: 64).
        num_cells: build this many cells with Algorithm 1 (``None``: the
            genotype's count).
        reductions: Algorithm 1's target reduction positions (``None``: its
            default rule, :mod:`mmddarts.structures.expand`).
        stem: ``'ddarts_imagenet'`` (D-DARTS' ImageNet stem, stride 4,
            default: DO-2-ResNet18 then has ResNet's strides 4..32),
            ``'imagenet'`` (DARTS' ImageNet stem, stride 8) or ``'cifar'``
            (stride 1). It must be the stem the loaded classifier was trained
            with (the weights fit either ImageNet stem; the strides do not).
        out_indices: cell stages whose outputs are returned (see the module
            docstring); ``None``: every stage.
        frozen_stages: ``-1`` trains everything; ``0`` freezes the stem;
            ``k`` the stem and cell stages ``0..k-1`` (mmdet's ResNet meaning:
            ``frozen_stages=1`` = stem + first stage). Frozen parameters get
            ``requires_grad=False`` and their modules stay in eval mode.
        norm_eval: keep every BatchNorm in eval mode (frozen running
            statistics) during training, as usual when fine-tuning with small
            detection batches.
        init_cfg: ``dict(type='Pretrained', checkpoint=PATH)`` loads a
            classification checkpoint of the same genotype and channels
            (:class:`DDartsImageClassifier` or bare :class:`DDartsNet`
            weights; ``prefix`` defaults to ``'backbone.'``); other init
            configs go to mmengine.
        Others: as :class:`DDartsNet` (``stem_multiplier``, ``in_channels``,
            ``drop_path_mode``, ``concat_rule``; further keyword arguments go
            to it unchanged).

    Attributes:
        stages (list[list[int]]): cells of each cell stage.
        out_stage_channels (list[int]): channels of each returned feature.
        out_strides (list[int]): stride of each returned feature.
    """

    def __init__(self,
                 genotype,
                 channels=64,
                 num_cells=None,
                 stem='ddarts_imagenet',
                 out_indices=None,
                 frozen_stages=-1,
                 norm_eval=False,
                 stem_multiplier=3,
                 in_channels=3,
                 drop_path_mode='node',
                 concat_rule='fed',
                 init_cfg=None,
                 reductions=None,
                 **kwargs):
        if isinstance(genotype, str) and genotype == FROM_CHECKPOINT:
            cfg = dict(init_cfg or {})
            cfg.setdefault('prefix', 'backbone.')
            rebuilt = arch_build_kwargs(
                arch_from_init_cfg(cfg, type(self).__name__))
            genotype, num_cells, reductions = rebuilt['genotype'], None, None
            channels, stem = rebuilt['channels'], rebuilt['stem']
            in_channels = rebuilt['in_channels']
            concat_rule = rebuilt['concat_rule']
            stem_multiplier = rebuilt.get('stem_multiplier', stem_multiplier)
            if 'keep_unused_inputs' in rebuilt:
                kwargs['keep_unused_inputs'] = rebuilt['keep_unused_inputs']
        genotype = _resolve_genotype(genotype, num_cells, reductions)
        stages = det_stages(genotype)
        stage_indices = _check_out_indices(out_indices, len(stages))
        if not -1 <= frozen_stages <= len(stages):
            raise ValueError(
                f'DDartsDetBackbone: frozen_stages must be in -1..'
                f'{len(stages)} (stem + {len(stages)} cell stages), got '
                f'{frozen_stages}')
        super().__init__(
            genotype,
            channels=channels,
            stem=stem,
            stem_multiplier=stem_multiplier,
            in_channels=in_channels,
            out_indices=tuple(stages[s][-1] for s in stage_indices),
            aux_index=None,
            drop_path_mode=drop_path_mode,
            concat_rule=concat_rule,
            init_cfg=init_cfg,
            **kwargs)
        self.stages = stages
        self.stage_indices = stage_indices
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.out_stage_channels = [self.out_channels[i]
                                   for i in self.out_indices]
        self.out_strides = det_out_strides(genotype, stage_indices,
                                           stem=stem)
        self._freeze_stages()

    # -------------------------------------------------------------- freezing
    def _stage_modules(self, stage):
        if stage == 0:
            if self.stem_type == 'cifar':
                return [self.stem]
            return [self.stem0, self.stem1]
        return [self.cells[i] for i in self.stages[stage - 1]]

    def _freeze_stages(self):
        for stage in range(self.frozen_stages + 1):
            for module in self._stage_modules(stage):
                module.eval()
                for param in module.parameters():
                    param.requires_grad = False

    def train(self, mode=True):
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self

    def forward(self, x):
        """Features of ``out_indices``, fine to coarse (a tuple)."""
        return super().forward(x)

    # ---------------------------------------------------------- pretraining
    def init_weights(self):
        cfg = self.init_cfg
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
            self.load_classification_checkpoint(
                cfg['checkpoint'], prefix=cfg.get('prefix', 'backbone.'),
                map_location=cfg.get('map_location', 'cpu'))
            self._is_init = True
        else:
            super().init_weights()

    def load_classification_checkpoint(self, checkpoint, prefix='backbone.',
                                       map_location='cpu'):
        """Copy the backbone weights of a classification checkpoint.

        Every parameter and buffer of this backbone must be found with the
        same shape (else the genotype, ``channels`` or ``num_cells`` differ
        from the classifier's and the error names the first keys); heads are
        ignored (logged).
        """
        logger = MMLogger.get_current_instance()
        if checkpoint is None:
            raise ValueError(
                'DDartsDetBackbone: init_cfg Pretrained has checkpoint=None; '
                'set model.backbone.init_cfg.checkpoint to a classification '
                'checkpoint, or init_cfg=None to train from scratch')
        if isinstance(checkpoint, str):
            if '://' not in checkpoint and not osp.isfile(checkpoint):
                raise FileNotFoundError(
                    f'DDartsDetBackbone: pretrained checkpoint {checkpoint!r} '
                    'not found; train the classifier first, point '
                    'model.backbone.init_cfg.checkpoint at its checkpoint, '
                    'or set model.backbone.init_cfg=None (from scratch)')
            raw = _load_raw_checkpoint(checkpoint, map_location)
        else:
            raw = checkpoint
        state = raw.get('state_dict', raw) if isinstance(raw, dict) else raw
        if not isinstance(state, dict):
            raise TypeError(f'DDartsDetBackbone: {checkpoint!r} holds no '
                            'state dict')
        mapped, ignored = map_classifier_state_dict(state, prefix)
        # a different recorded network: name the first differing cell/edge
        found = recorded_difference(self, mapped, EXTRA_STATE)
        if found:
            diff, theirs = found
            raise ArchitectureMismatchError(
                f'DDartsDetBackbone: checkpoint {checkpoint!r} was '
                f'trained with another network ({diff}). Checkpoint: '
                f'{arch_summary(theirs)}; backbone: '
                f'{arch_summary(self.arch_record())}. Set '
                f"model.backbone.genotype='{FROM_CHECKPOINT}' to "
                'rebuild it from the checkpoint')
        own = {k: v for k, v in self.state_dict().items()
               if k != EXTRA_STATE}
        missing = [k for k in own if k not in mapped]
        if missing:
            raise KeyError(
                f'DDartsDetBackbone: checkpoint {checkpoint!r} lacks '
                f'{len(missing)} backbone key(s), e.g. {missing[:5]}: was it '
                'trained with the same genotype, channels and num_cells?')
        wrong = [(k, tuple(mapped[k].shape), tuple(v.shape))
                 for k, v in own.items() if mapped[k].shape != v.shape]
        if wrong:
            k, got, want = wrong[0]
            raise ValueError(
                f'DDartsDetBackbone: checkpoint {checkpoint!r}: {len(wrong)} '
                f'shape mismatch(es), e.g. {k}: checkpoint {got}, backbone '
                f'{want} (different channels or genotype?)')
        extra = sorted(k for k in mapped if k not in own)
        keep = {k: mapped[k] for k in own}
        if EXTRA_STATE in mapped:
            keep[EXTRA_STATE] = mapped[EXTRA_STATE]
        self.load_state_dict(keep, strict=True)
        logger.info(
            f'DDartsDetBackbone: loaded {len(own)} tensors from '
            f'{checkpoint if isinstance(checkpoint, str) else "a dict"}; '
            f'ignored {len(ignored) + len(extra)} non-backbone key(s) '
            f'(heads: {sorted({k.split(".")[0] for k in ignored})})')
