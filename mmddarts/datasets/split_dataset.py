"""One of two disjoint parts of a dataset (the DARTS weights/alphas split)."""
import copy
from typing import List, Optional, Union

import numpy as np
from mmengine.dataset import BaseDataset, force_full_init

from mmddarts.registry import DATASETS
from .split_utils import split_indices
from .subset import get_subset


@DATASETS.register_module()
class SplitDataset:
    """A deterministic part of a dataset cut in two disjoint parts.

    DARTS-style searches cut the training split in two: the ``'first'`` part
    trains the network weights, the ``'second'`` one the architecture. Two
    configs that differ only in ``part`` give a disjoint, complete partition
    of the wrapped dataset, the same on every run, machine and rank::

        dict(type='mmddarts.SplitDataset', dataset=cifar_train_cfg,
             portion=0.5, part='first', seed=0)

    The first part holds ``int(portion * len(dataset))`` samples. By default
    (``stratified=True``) every class is cut in the same ratio (largest
    remainders settle the rounding; see
    :func:`mmddarts.datasets.split_utils.stratified_split`), so both parts
    keep the class balance; ``stratified=False`` (or a dataset without labels)
    picks a seeded random subset. The reference DARTS code takes the first
    ``portion`` of the unshuffled files instead; CIFAR files are already in
    random order, so both are fair, and ours does not depend on file order.

    Shuffling between epochs is the sampler's job (mmengine's
    ``DefaultSampler`` reshuffles every epoch with ``set_epoch`` and shards
    across DDP ranks).

    Args:
        dataset (dict | BaseDataset): The dataset to cut, or its config.
        portion (float): Fraction of samples in the first part, in (0, 1).
        part (str): ``'first'`` or ``'second'``.
        seed (int): Seed of the split (not of the training). Defaults to 0.
        stratified (bool): Keep the class ratios. Defaults to True.
        lazy_init (bool): Defer loading until ``full_init``.
    """

    PARTS = ('first', 'second')

    def __init__(self,
                 dataset: Union[dict, BaseDataset],
                 portion: float = 0.5,
                 part: str = 'first',
                 seed: int = 0,
                 stratified: bool = True,
                 lazy_init: bool = False):
        if part not in self.PARTS:
            raise ValueError(f'SplitDataset: part must be one of '
                             f'{self.PARTS}, got {part!r}')
        if not 0. < portion < 1.:
            raise ValueError(
                f'SplitDataset: portion must lie in (0, 1), got {portion}')
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        self.source = dataset
        self.portion = portion
        self.part = part
        self.seed = seed
        self.stratified = stratified
        self._metainfo = copy.deepcopy(dataset.metainfo)
        self._fully_initialized = False
        self.indices: Optional[np.ndarray] = None
        self.dataset: Optional[BaseDataset] = None
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        return copy.deepcopy(self._metainfo)

    def _labels(self) -> Optional[np.ndarray]:
        if not self.stratified:
            return None
        if hasattr(self.source, 'get_gt_labels'):
            return np.asarray(self.source.get_gt_labels())
        infos = [self.source.get_data_info(i) for i in range(len(self.source))]
        if all('gt_label' in info for info in infos):
            return np.asarray([int(info['gt_label']) for info in infos])
        return None

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        self.source.full_init()
        total = len(self.source)
        num_first = int(self.portion * total)
        first, second = split_indices(total, num_first, self._labels(),
                                      self.seed)
        self.indices = first if self.part == 'first' else second
        if len(self.indices) == 0:
            raise ValueError(
                f'SplitDataset: the {self.part} part of a {total}-sample '
                f'dataset with portion={self.portion} is empty')
        # A real sub-dataset (not an index map) so that the pipeline's
        # re-fetch on a failed sample stays inside this part.
        self.dataset = get_subset(self.source, self.indices.tolist())
        self.source = None  # keep only the selected samples in memory
        self._fully_initialized = True

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        return self.dataset.get_data_info(idx)

    @force_full_init
    def get_gt_labels(self) -> np.ndarray:
        return np.asarray(
            [int(self.get_data_info(i)['gt_label']) for i in range(len(self))])

    @force_full_init
    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, idx: int) -> dict:
        if not self._fully_initialized:
            self.full_init()
        return self.dataset[idx]

    def __repr__(self) -> str:
        n = 'not loaded' if self.indices is None else len(self.indices)
        return (f'{self.__class__.__name__}(part={self.part!r}, '
                f'portion={self.portion}, seed={self.seed}, '
                f'stratified={self.stratified}, samples={n})')

    def extra_repr(self) -> List[str]:
        return [repr(self)]
