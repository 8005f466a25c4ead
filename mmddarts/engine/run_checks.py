"""Cheap checks of a run before anything slow or destructive starts.

``tools/train.py`` runs them in this order, all before the memory preflight
(which measures a search iteration in a child process, seconds to minutes)
and before the Runner writes anything:

1. :func:`default_work_dir`: search and training configs of the same name
   get different folders (``work_dirs/search/<name>`` vs
   ``work_dirs/train/<name>``; ``tools/test.py``: ``work_dirs/test/<name>``),
   so training the searched genotype never replaces the search's
   checkpoints, nor a test the training's config copy;
2. :func:`resolve_resume`: ``--resume`` with nothing to resume is an error
   (``--resume auto`` keeps mmengine's "resume if there is a checkpoint,
   else start fresh");
3. :func:`check_work_dir_owner`: a work dir whose ``last_checkpoint`` was
   written by another config or another kind of model (search vs training)
   is refused, naming both and the fix;
4. :func:`check_amp_options`, :func:`check_data_paths`,
   :func:`check_stats_files`;
5. :func:`check_model_builds` (search configs, before the preflight): the
   model, its data preprocessor (e.g. a statistics file) and the optimizer
   wrapper are built once, so a config error is reported as itself.
"""
import os.path as osp

WORK_DIRS = 'work_dirs'


def is_search_cfg(cfg) -> bool:
    """A search (supernet) config: a ``DDartsSearch`` model or the search
    loop."""
    loop = str((cfg.get('train_cfg', None) or {}).get('type', ''))
    model = str((cfg.get('model', None) or {}).get('type', ''))
    return loop.endswith('SearchEpochBasedTrainLoop') or \
        model.endswith('DDartsSearch')


def run_kind(cfg) -> str:
    """``'search'`` or ``'train'`` (every other model)."""
    return 'search' if is_search_cfg(cfg) else 'train'


def default_work_dir(cfg, config_path, kind=None) -> str:
    """``work_dirs/<kind>/<config name>``; ``kind`` defaults to
    :func:`run_kind` (``tools/test.py`` passes ``'test'``: its Runner dumps
    the config into the work dir, which must not replace the training's
    copy)."""
    name = osp.splitext(osp.basename(config_path))[0]
    return osp.join('.', WORK_DIRS, kind or run_kind(cfg), name)


def latest_checkpoint(work_dir):
    """The path ``work_dir/last_checkpoint`` names when that file exists,
    else ``None``."""
    link = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(link):
        return None
    with open(link) as f:
        path = f.read().strip()
    if path and not osp.isabs(path) and not osp.exists(path):
        path = osp.join(work_dir, osp.basename(path))
    return path or None


def resolve_resume(cfg, resume):
    """Set ``cfg.resume`` / ``cfg.load_from`` from ``--resume``.

    ``resume``: ``None`` (no resume), ``'latest'`` (``--resume`` alone: the
    work dir's last checkpoint, which must exist), ``'auto'`` (that
    checkpoint if any, else a fresh start) or a checkpoint path (must
    exist).
    """
    if resume is None:
        return
    cfg.resume = True
    if resume in ('latest', 'auto'):
        cfg.load_from = None
        if resume == 'auto':
            return
        last = latest_checkpoint(cfg.work_dir)
        if last is None or not osp.isfile(last):
            what = (f'its last_checkpoint names {last}, which does not '
                    'exist' if last else 'no last_checkpoint')
            raise SystemExit(
                f'error: --resume: nothing to resume in {cfg.work_dir} '
                f'({what}). Check --work-dir (search runs are in '
                f'{WORK_DIRS}/search/<config>, training runs in '
                f'{WORK_DIRS}/train/<config>), give the checkpoint '
                '(--resume PATH), run without --resume to start fresh, or '
                'use --resume auto to resume when there is a checkpoint and '
                'start fresh otherwise')
        return
    if '://' not in resume and not osp.isfile(resume):
        raise SystemExit(f'error: --resume: checkpoint not found: {resume}')
    cfg.load_from = resume


def _checkpoint_identity(path):
    """(config name, kind) of the run that wrote a checkpoint."""
    from mmddarts.models.strict_load import (checkpoint_config_name,
                                             read_checkpoint, state_dict_of,
                                             state_kind)
    ckpt = read_checkpoint(path)
    kind = 'search' if state_kind(state_dict_of(ckpt)) == 'search' else \
        'train'
    return checkpoint_config_name(ckpt), kind


def check_work_dir_owner(cfg, config_path):
    """Refuse a work dir whose last checkpoint another config or another
    kind of run (search vs training) wrote: this run would replace its
    checkpoints, ``last_checkpoint`` and config copy. A resumed run
    (``--resume``) continues that checkpoint's run under any config name,
    but never across kinds (the checkpoint would not fit)."""
    work_dir = cfg.get('work_dir', None)
    last = latest_checkpoint(work_dir) if work_dir else None
    if last is None or not osp.isfile(last):
        return
    try:
        name, kind = _checkpoint_identity(last)
    except Exception:  # noqa: BLE001 -- unreadable: mmengine will say so
        return
    mine = osp.splitext(osp.basename(config_path))[0]
    my_kind = run_kind(cfg)
    if kind == my_kind and (name is None or name == mine
                            or cfg.get('resume', False)):
        return
    theirs = f'a {kind} run' + (f' of {name}' if name else '')
    raise SystemExit(
        f'error: work dir {work_dir} holds the checkpoints of {theirs} '
        f'(last_checkpoint: {last}); this {my_kind} run of {mine} would '
        'overwrite them. Give this run its own --work-dir (default: '
        f'{WORK_DIRS}/{my_kind}/{mine}), or move that folder away first')


def _wrappers(node, path):
    """``(path, wrapper config)`` of a wrapper or a dict of wrappers."""
    if not isinstance(node, dict):
        return
    if 'optimizer' in node:
        yield path, node
        return
    for k, v in node.items():
        if isinstance(v, dict) and ('optimizer' in v or 'type' in v):
            yield from _wrappers(v, f'{path}.{k}')


def check_amp_options(cfg):
    """``dtype`` / ``loss_scale`` only mean something to an AMP wrapper
    (``--amp``); mmengine's plain OptimWrapper fails on them deep in the
    build. Set on a wrapper, or at the top of a dict of wrappers (which
    passes them to its members), they need AMP wrappers."""
    top = cfg.get('optim_wrapper', None)
    if not isinstance(top, dict):
        return
    for path, node in [('optim_wrapper', top)] + list(
            _wrappers(top, 'optim_wrapper')):
        keys = [k for k in ('dtype', 'loss_scale') if k in node]
        if not keys:
            continue
        plain = [p for p, w in _wrappers(node, path)
                 if 'Amp' not in str(w.get('type', 'OptimWrapper'))]
        if plain:
            raise SystemExit(
                f'error: {path}.{keys[0]} is an AMP option but {plain[0]} '
                'is not an AmpOptimWrapper: add --amp (needs a GPU) or '
                f'drop {path}.{keys[0]}')


def _datasets(node, path):
    if isinstance(node, dict):
        if 'type' in node and ('data_root' in node or 'ann_file' in node):
            yield path, node
        for k, v in node.items():
            yield from _datasets(v, f'{path}.{k}')
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            yield from _datasets(v, f'{path}.{i}')


def check_data_paths(cfg, loaders=('train_dataloader', 'arch_dataloader',
                                   'val_dataloader')):
    """Every dataset ``data_root`` (and ``ann_file`` under it) of the
    run's dataloaders exists."""
    roots = {}
    for loader in loaders:
        node = cfg.get(loader, None)
        if node is None:
            node = (cfg.get('train_cfg', None) or {}).get(loader, None)
        for path, ds in _datasets(node, loader):
            root = ds.get('data_root')
            if isinstance(root, str) and root and '://' not in root:
                roots.setdefault(root, (path, str(ds.get('type', ''))))
                ann = ds.get('ann_file')
                if isinstance(ann, str) and ann:
                    full = ann if osp.isabs(ann) else osp.join(root, ann)
                    if osp.isdir(root) and not osp.exists(full):
                        raise SystemExit(
                            f'error: {path}.ann_file not found: {full}')
    for root, (path, kind) in roots.items():
        if not osp.isdir(root):
            # Fashion-MNIST has a package: say which (never downloaded)
            hint = ''
            if kind.split('.')[-1] == 'FashionMNIST':
                from mmddarts.datasets.fashion_mnist import INSTALL_CMD
                hint = f' (Fashion-MNIST: `{INSTALL_CMD}`)'
            raise SystemExit(
                f'error: data root not found: {root} ({path}.data_root); '
                f'put the data there{hint} or pass --cfg-options '
                'data_root=DIR')


def check_stats_files(cfg):
    """The normalisation statistics a ``StatsClsDataPreprocessor`` reads
    (lazily, at the first batch) exist and parse."""
    for node in (cfg.get('data_preprocessor', None),
                 (cfg.get('model', None) or {}).get('data_preprocessor')):
        path = node.get('stats_file') if isinstance(node, dict) else None
        if isinstance(path, str):
            from mmddarts.datasets.image_stats import load_image_stats
            try:
                load_image_stats(path)
            except (OSError, ValueError) as err:
                raise SystemExit(f'error: {err}') from None


def check_model_builds(cfg):
    """Build the model (with the config's data preprocessor) and its
    optimizer wrapper once, without touching this process's random
    streams: a config error (an unknown key, a missing statistics file, a
    DARTOpti cell count that does not match its baseline) is reported as
    itself, in one line, before the slow memory measurement."""
    import torch
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope

    from mmddarts.registry import MODELS
    init_default_scope(cfg.get('default_scope', 'mmddarts'))
    model_cfg = cfg.model.to_dict() if hasattr(cfg.model, 'to_dict') \
        else dict(cfg.model)
    if cfg.get('data_preprocessor', None) is not None:
        model_cfg.setdefault('data_preprocessor', dict(cfg.data_preprocessor))
    step = 'model'
    try:
        with torch.random.fork_rng(devices=[]):
            model = MODELS.build(model_cfg)
            step = 'optim_wrapper'
            if cfg.get('optim_wrapper', None) is not None:
                build_optim_wrapper(model, cfg.optim_wrapper)
    except Exception as err:  # noqa: BLE001 -- reported as itself
        msg = ' '.join(str(err).split()) or type(err).__name__
        raise SystemExit(f'error: the config\'s {step} does not build: '
                         f'{type(err).__name__}: {msg}') from None
