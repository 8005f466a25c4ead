"""Walk a config's dataloaders and the dataset configs they hold.

Shared by :mod:`.config_utils` (``data_root``, worker options) and
:mod:`.cifar_options` (``check_md5``), which both edit every dataset of
every dataloader.
"""
from typing import Any, Iterator


def dataloader_keys(cfg) -> Iterator[str]:
    """Top-level keys of ``cfg`` that hold a dataloader config
    (``train_dataloader``, ``val_dataloader``, ``arch_dataloader``...)."""
    for key in list(cfg.keys()):
        if key.endswith('_dataloader') and isinstance(cfg[key], dict):
            yield key


def dataset_cfgs(dataset: Any) -> Iterator[dict]:
    """A dataset config and the ones it wraps (``dataset=``/``datasets=``)."""
    if isinstance(dataset, dict):
        yield dataset
        yield from dataset_cfgs(dataset.get('dataset'))
        for sub in dataset.get('datasets', []) or []:
            yield from dataset_cfgs(sub)
