"""Small config edits shared by the tools."""
import warnings
from typing import Any, Iterator


def dataloader_keys(cfg) -> Iterator[str]:
    """Top-level keys of ``cfg`` that hold a dataloader config
    (``train_dataloader``, ``val_dataloader``, ``arch_dataloader``...)."""
    for key in list(cfg.keys()):
        if key.endswith('_dataloader') and isinstance(cfg[key], dict):
            yield key


def _dataset_cfgs(dataset: Any) -> Iterator[dict]:
    """A dataset config and the ones it wraps (``dataset=``/``datasets=``)."""
    if isinstance(dataset, dict):
        yield dataset
        yield from _dataset_cfgs(dataset.get('dataset'))
        for sub in dataset.get('datasets', []) or []:
            yield from _dataset_cfgs(sub)


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
        for ds in _dataset_cfgs(cfg[key].get('dataset')):
            if ds.get('data_root') == old_root:
                ds['data_root'] = new_root
                changed += 1
    return changed


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
    dataloader that used the config's ``data_root`` to ``DIR``, and
    ``persistent_workers`` is dropped where ``num_workers`` is 0.
    """
    if options:
        old_root = cfg.get('data_root')
        cfg.merge_from_dict(options)
        new_root = options.get('data_root')
        if new_root is not None and (old_root is None or replace_data_root(
                cfg, old_root, new_root) == 0):
            warnings.warn(f'data_root={new_root} matched no dataloader: the '
                          "config's datasets do not use its data_root")
    fix_worker_options(cfg)
