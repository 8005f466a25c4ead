# Filled by the modules of this package.
from .cifar import CIFAR10, CIFAR100  # noqa: F401
from .cifar_writer import write_cifar  # noqa: F401
from .digits import DigitsDataset  # noqa: F401
from .split_dataset import SplitDataset  # noqa: F401
from .transforms import CIFAR10AutoAugment  # noqa: F401
from .image_folder import ImageFolderDataset  # noqa: F401
from .fashion_mnist import FashionMNIST  # noqa: F401
from .fashion_mnist_writer import write_fashion_mnist  # noqa: F401
