"""Datasets (importing the package registers them in
``mmddarts.registry.DATASETS`` / ``TRANSFORMS``): CIFAR with an md5 opt-out,
the offline digits set, Fashion-MNIST's idx files, image folders, the search
split, and writers of tiny CIFAR-format and idx files."""
from .cifar import CIFAR10, CIFAR100
from .cifar_writer import write_cifar
from .digits import DigitsDataset
from .fashion_mnist import FashionMNIST
from .fashion_mnist_writer import write_fashion_mnist
from .image_folder import ImageFolderDataset
from .split_dataset import SplitDataset
from .transforms import CIFAR10AutoAugment, DARTSCutout

__all__ = [
    'CIFAR10', 'CIFAR100', 'write_cifar', 'DigitsDataset', 'FashionMNIST',
    'write_fashion_mnist', 'ImageFolderDataset', 'SplitDataset',
    'CIFAR10AutoAugment', 'DARTSCutout'
]
