"""``--cfg-options check_md5=False``: one switch for every CIFAR dataset.

Python configs substitute their variables when the file is read, so the
``check_md5=True`` written into each dataset dict (``train_dataloader``,
``val_dataloader``, ``test_dataloader`` and, in search configs, the CIFAR
split wrapped by ``SplitDataset`` inside ``train_dataloader`` and
``arch_dataloader``) cannot be changed by one top-level key. Like
``data_root`` (:func:`mmddarts.utils.config_utils.replace_data_root`), the
tools propagate a top-level ``check_md5`` to every CIFAR dataset config of
every dataloader, wrapped or not.
"""
from typing import List

from .dataloader_cfgs import dataloader_keys, dataset_cfgs

# the data sets whose files are checked against known md5s
CIFAR_TYPES = ('mmddarts.CIFAR10', 'mmddarts.CIFAR100',
               'mmddarts.FashionMNIST')


def is_cifar_cfg(ds: dict) -> bool:
    """A dataset config of mmddarts' CIFAR10/CIFAR100 (the classes with a
    ``check_md5`` argument; mmpretrain's own have none)."""
    return ds.get('type') in CIFAR_TYPES or 'check_md5' in ds


def set_check_md5(cfg, value) -> List[str]:
    """Set ``check_md5=value`` in every CIFAR dataset config of every
    dataloader of ``cfg``; returns ``loader:type`` of each one changed.

    Raises:
        ValueError: ``value`` is not a bool.
    """
    if not isinstance(value, bool):
        raise ValueError(f'check_md5 must be True or False, got {value!r}')
    changed = []
    for key in dataloader_keys(cfg):
        for ds in dataset_cfgs(cfg[key].get('dataset')):
            if is_cifar_cfg(ds):
                ds['check_md5'] = value
                changed.append(f'{key}:{ds.get("type")}')
    return changed
