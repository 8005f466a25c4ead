"""mmpretrain's CIFAR datasets with an opt-out of the md5 check.

mmpretrain checks every batch file against the md5 of the official release
and, on a mismatch, tries to download the archive again. That is right for
real data but makes generated or converted CIFAR-format files (tests, offline
machines) unloadable. ``check_md5=False`` keeps mmpretrain's loading code and
only requires the files to exist (in a config, ``--cfg-options
check_md5=False`` sets it in every CIFAR dataset: see
:mod:`mmddarts.utils.cifar_options`).

Downloading is disabled (``download=False`` is forced; ``download=True``
is refused): missing files raise an error naming each missing path and the
expected layout, and no folder is created.
"""
from mmengine.fileio import exists, join_path
from mmpretrain.datasets import CIFAR10 as _CIFAR10
from mmpretrain.datasets import CIFAR100 as _CIFAR100
from mmpretrain.datasets.utils import check_md5 as _file_md5_ok

from mmddarts.registry import DATASETS


class _CheckMD5Mixin:
    """Overrides mmpretrain's ``_check_integrity`` only."""

    def _files(self):
        root = self.data_prefix['root']
        for name, md5 in self.train_list + self.test_list:
            yield join_path(root, self.base_folder, name), md5

    def _check_integrity(self) -> bool:
        if not self.check_md5:
            return all(exists(path) for path, _ in self._files())
        for path, md5 in self._files():
            if not exists(path):
                return False  # reported by load_data_list
            if md5 is not None and not _file_md5_ok(path, md5):
                # Present but not the official file: refuse (downloading over
                # it would destroy the user's data, and is disabled anyway).
                raise RuntimeError(
                    f'{self.__class__.__name__}: {path} does not match the '
                    f'md5 of the official CIFAR release ({md5}). Replace it '
                    'with the official file, or load generated/converted '
                    'CIFAR-format files with check_md5=False (in a config: '
                    '--cfg-options check_md5=False).')
        return True

    def _layout(self):
        root = self.data_prefix['root']
        names = [n for n, _ in self.train_list + self.test_list]
        if self.meta.get('filename'):
            names.append(self.meta['filename'])
        return join_path(root, self.base_folder), names

    def load_data_list(self):
        # Downloading is disabled: missing files are an error that says
        # where they belong, raised before mmpretrain could create the
        # folder or reach the network.
        folder, names = self._layout()
        missing = [n for n in names if not exists(join_path(folder, n))]
        if missing:
            raise FileNotFoundError(
                f'Cannot find {self.__class__.__name__} dataset in '
                f"{self.data_prefix['root']}: missing "
                f'{", ".join(join_path(folder, n) for n in missing)}. '
                'mmddarts never downloads data. Expected layout (the '
                f"official 'python version' archive {self.url} unpacked): "
                f'{folder}/{{{",".join(names)}}}. Put the files there, point '
                'the config at their folder (--cfg-options data_root=DIR), '
                'or write CIFAR-format files with '
                'tools/misc/write_tiny_cifar.py and load them with '
                '--cfg-options check_md5=False.')
        return super().load_data_list()


def _no_download(dataset, download):
    if download:
        raise ValueError(
            f'{type(dataset).__name__}: download=True is not supported: '
            'mmddarts never downloads data; put the official files under '
            'data_root (see the error raised when they are missing for the '
            'layout)')
    return False


@DATASETS.register_module()
class CIFAR10(_CheckMD5Mixin, _CIFAR10):
    """mmpretrain's CIFAR10 with ``check_md5`` (default True).

    Args:
        check_md5 (bool): Check the files against the official md5 sums
            (mmpretrain's behaviour). False loads any CIFAR-format files,
            e.g. those of :func:`mmddarts.datasets.write_cifar`.
        **kwargs: mmpretrain's ``CIFAR10`` arguments (``data_root``,
            ``split``, ``pipeline``...). ``download`` must stay False.
    """

    def __init__(self, *args, check_md5: bool = True, download=False,
                 **kwargs):
        self.check_md5 = check_md5
        super().__init__(*args, download=_no_download(self, download),
                         **kwargs)


@DATASETS.register_module()
class CIFAR100(_CheckMD5Mixin, _CIFAR100):
    """mmpretrain's CIFAR100 with ``check_md5`` (default True).

    Args:
        check_md5 (bool): See :class:`CIFAR10`.
        **kwargs: mmpretrain's ``CIFAR100`` arguments.
    """

    def __init__(self, *args, check_md5: bool = True, download=False,
                 **kwargs):
        self.check_md5 = check_md5
        super().__init__(*args, download=_no_download(self, download),
                         **kwargs)
