"""Datasets (importing the package registers them in
``mmddarts.registry.DATASETS`` / ``TRANSFORMS``): CIFAR with an md5 opt-out,
the offline digits set, image folders, the search split, and writers of
tiny CIFAR-format files."""
from .cifar import CIFAR10, CIFAR100
from .cifar_writer import write_cifar
from .digits import DigitsDataset
from .image_folder import ImageFolderDataset
from .split_dataset import SplitDataset
from .transforms import CIFAR10AutoAugment, DARTSCutout

__all__ = [
    'CIFAR10', 'CIFAR100', 'write_cifar', 'DigitsDataset',
    'ImageFolderDataset', 'SplitDataset', 'CIFAR10AutoAugment', 'DARTSCutout'
]
