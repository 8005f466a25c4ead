"""mmpretrain's CIFAR datasets with an opt-out of the md5 check.

mmpretrain checks every batch file against the md5 of the official release
and, on a mismatch, tries to download the archive again. That is right for
real data but makes generated or converted CIFAR-format files (tests, offline
machines) unloadable. ``check_md5=False`` keeps mmpretrain's loading code and
only requires the files to exist.
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
                return False  # missing: mmpretrain may download it
            if md5 is not None and not _file_md5_ok(path, md5):
                # Present but not the official file: downloading over it would
                # destroy the user's data (and fails offline), so stop here.
                raise RuntimeError(
                    f'{self.__class__.__name__}: {path} does not match the '
                    f'md5 of the official CIFAR release ({md5}). Delete it to '
                    'download the official files again, or pass '
                    'check_md5=False to load generated/converted '
                    'CIFAR-format files.')
        return True

    def load_data_list(self):
        # With download=True (mmpretrain's default) missing files trigger a
        # download; offline that fails with a bare URLError that names
        # neither the data root nor the files, so say both.
        try:
            return super().load_data_list()
        except OSError as err:
            missing = [p for p, _ in self._files() if not exists(p)]
            if not missing:
                raise
            raise RuntimeError(
                f'Cannot find {self.__class__.__name__} dataset in '
                f"{self.data_prefix['root']}: missing "
                f'{", ".join(missing)}, and downloading it failed ({err}). '
                "Put the official 'python version' CIFAR files there, point "
                'the config at them (--cfg-options data_root=DIR), or write '
                'CIFAR-format files with tools/misc/write_tiny_cifar.py and '
                'load them with check_md5=False.') from err


@DATASETS.register_module()
class CIFAR10(_CheckMD5Mixin, _CIFAR10):
    """mmpretrain's CIFAR10 with ``check_md5`` (default True).

    Args:
        check_md5 (bool): Check the files against the official md5 sums
            (mmpretrain's behaviour). False loads any CIFAR-format files,
            e.g. those of :func:`mmddarts.datasets.write_cifar`.
        **kwargs: mmpretrain's ``CIFAR10`` arguments (``data_root``,
            ``split``, ``pipeline``, ``download``...).
    """

    def __init__(self, *args, check_md5: bool = True, **kwargs):
        self.check_md5 = check_md5
        super().__init__(*args, **kwargs)


@DATASETS.register_module()
class CIFAR100(_CheckMD5Mixin, _CIFAR100):
    """mmpretrain's CIFAR100 with ``check_md5`` (default True).

    Args:
        check_md5 (bool): See :class:`CIFAR10`.
        **kwargs: mmpretrain's ``CIFAR100`` arguments.
    """

    def __init__(self, *args, check_md5: bool = True, **kwargs):
        self.check_md5 = check_md5
        super().__init__(*args, **kwargs)
