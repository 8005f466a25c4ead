"""Small config edits shared by the tools."""
import os.path as osp
import warnings
from typing import Iterator, List, Optional

from .cifar_options import set_check_md5
from .dataloader_cfgs import dataloader_keys, dataset_cfgs


def replace_data_root(cfg, old_root: str, new_root: str) -> int:
    """Set ``data_root=new_root`` in every dataset config of every dataloader
    whose ``data_root`` is ``old_root``; returns how many were changed.

    Python-style configs substitute ``data_root`` into the dataset dicts when
    the file is read, so overriding the top-level ``data_root`` alone changes
    nothing; ``tools/train.py`` calls this when ``--cfg-options data_root=..``
    is given.
    """
    changed = 0
    for key in dataloader_keys(cfg):
        for ds in dataset_cfgs(cfg[key].get('dataset')):
            if ds.get('data_root') == old_root:
                ds['data_root'] = new_root
                changed += 1
    return changed


def _moved_path(path: str, old_root: str, new_root: str) -> Optional[str]:
    """``path`` re-rooted from ``old_root`` to ``new_root``, or None when it
    does not lie under ``old_root`` (``data/coco2/x`` is not under
    ``data/coco``)."""
    old = old_root.rstrip('/')
    if not old or not (path == old or path.startswith(old + '/')):
        return None
    rest = path[len(old):].lstrip('/')
    return osp.join(new_root, rest) if rest else new_root


def _evaluator_keys(cfg) -> Iterator[str]:
    for key in list(cfg.keys()):
        if key.endswith('_evaluator'):
            yield key


def replace_evaluator_root(cfg, old_root: str, new_root: str) -> List[str]:
    """Re-root every string under ``*_evaluator`` (a dict, or a list of
    them, nested or not) that is a path under ``old_root``; returns the
    ``key.path`` of each value changed.

    mmdet's COCO configs give ``CocoMetric`` its ground truth as
    ``ann_file=data_root + 'annotations/...'``: moving the dataloaders alone
    would compute metrics against the old root's annotations.
    """
    changed, seen = [], set()

    def visit(node, where):
        """``node`` with its paths re-rooted (a new tuple for a tuple)."""
        if isinstance(node, str):
            moved = _moved_path(node, old_root, new_root)
            if moved is None or moved == node:
                return node
            changed.append(where)
            return moved
        # ``test_evaluator = val_evaluator`` may share one dict: re-root once,
        # or a new root under the old one would be applied twice.
        if not isinstance(node, (dict, list, tuple)) or id(node) in seen:
            return node
        seen.add(id(node))
        if isinstance(node, tuple):
            return type(node)(
                visit(v, f'{where}.{i}') for i, v in enumerate(node))
        keys = node.keys() if isinstance(node, dict) else range(len(node))
        for k in list(keys):
            node[k] = visit(node[k], f'{where}.{k}')
        return node

    for key in _evaluator_keys(cfg):
        cfg[key] = visit(cfg[key], key)
    return changed


def _stale_ann_files(cfg, new_root: str) -> List[str]:
    """``key.path=value`` of every evaluator ``ann_file`` not under
    ``new_root`` (written with another prefix than the config's data_root)."""
    stale = []

    def visit(node, where):
        if isinstance(node, dict):
            for k, v in node.items():
                if (k == 'ann_file' and isinstance(v, str)
                        and _moved_path(v, new_root, new_root) is None):
                    stale.append(f'{where}.{k}={v}')
                else:
                    visit(v, f'{where}.{k}')
        elif isinstance(node, (list, tuple)):
            for i, v in enumerate(node):
                visit(v, f'{where}.{i}')

    for key in _evaluator_keys(cfg):
        visit(cfg[key], key)
    return stale


def fix_worker_options(cfg) -> None:
    """``persistent_workers`` needs worker processes: drop it where a
    dataloader runs with ``num_workers=0`` (tests, debugging)."""
    for key in dataloader_keys(cfg):
        loader = cfg[key]
        if loader.get('num_workers', 0) == 0:
            loader['persistent_workers'] = False


def apply_cfg_options(cfg, options) -> None:
    """Merge ``--cfg-options`` into ``cfg`` the way the tools do.

    Besides mmengine's ``merge_from_dict``, ``data_root=DIR`` moves every
    dataloader that used the config's ``data_root`` to ``DIR``, and every
    evaluator path under the old root (``val_evaluator.ann_file`` of mmdet
    configs) with it; ``persistent_workers`` is dropped where
    ``num_workers`` is 0. The roots are replaced before the other options
    are merged, so an option naming a dataset's ``data_root`` or an
    evaluator's ``ann_file`` explicitly wins. ``check_md5=False`` is set in
    every CIFAR dataset of every dataloader (wrapped ones too), see
    :mod:`mmddarts.utils.cifar_options`.
    """
    if options:
        if 'check_md5' in options:
            if not set_check_md5(cfg, options['check_md5']):
                warnings.warn('check_md5 matched no dataset with an md5 '
                              "check (CIFAR, Fashion-MNIST) in the config's "
                              'dataloaders')
        new_root = options.get('data_root')
        if new_root is not None:
            old_root = cfg.get('data_root')
            moved = 0
            if isinstance(old_root, str):
                moved = replace_data_root(cfg, old_root, new_root)
                replace_evaluator_root(cfg, old_root, new_root)
            if moved == 0:
                warnings.warn(f'data_root={new_root} matched no dataloader: '
                              "the config's datasets do not use its "
                              'data_root')
        cfg.merge_from_dict(options)
        if new_root is not None:
            stale = _stale_ann_files(cfg, new_root)
            if stale:
                warnings.warn(
                    f'data_root={new_root}: evaluator annotation files '
                    f'outside it keep their path ({", ".join(stale)}); '
                    'metrics use that ground truth unless you also set '
                    'them in --cfg-options')
    fix_worker_options(cfg)


def input_channels(cfg) -> int:
    """Image channels a model config takes: ``model.backbone.in_channels``
    when set, else the length of the data preprocessor's ``mean`` (model's
    or top-level), else 3 (RGB)."""
    model = cfg.get('model', None) or {}
    backbone = model.get('backbone', None) or \
        model.get('architecture', None) or {}
    if backbone.get('in_channels', None) is not None:
        return int(backbone['in_channels'])
    pre = model.get('data_preprocessor', None) or \
        cfg.get('data_preprocessor', None) or {}
    if pre.get('mean', None) is not None:
        return len(pre['mean'])
    return 3
