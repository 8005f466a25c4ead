"""``ClsDataPreprocessor`` normalising with statistics read from a file."""
import os.path as osp

import torch
from mmpretrain.models import ClsDataPreprocessor

from mmddarts.datasets.image_stats import load_image_stats
from mmddarts.registry import MODELS


@MODELS.register_module()
class StatsClsDataPreprocessor(ClsDataPreprocessor):
    """mmpretrain's ``ClsDataPreprocessor`` with ``mean`` / ``std`` from
    ``stats_file`` (written by ``tools/analysis_tools/dataset_stats.py``).

    The file is read when the preprocessor is built if it exists, else at
    the first batch (so configs build before the statistics are computed);
    a missing or malformed file then stops with its path and the command
    that writes it.

    Args:
        stats_file (str): the JSON file (``mean``, ``std``: RGB, or one
            grey value for ``in_channels=1`` models; 0..255).
        **kwargs: ``ClsDataPreprocessor``'s (``num_classes``, ``to_rgb``
            (default True: images load as BGR, the statistics are RGB)...).
    """

    def __init__(self, stats_file, to_rgb=True, **kwargs):
        for key in ('mean', 'std'):
            if key in kwargs:
                raise ValueError(f'StatsClsDataPreprocessor: {key} comes from'
                                 f' {stats_file}, do not set it')
        self.stats_file = stats_file
        stats = load_image_stats(stats_file) if osp.isfile(stats_file) \
            else None
        super().__init__(
            mean=stats['mean'] if stats else [0.] * 3,
            std=stats['std'] if stats else [1.] * 3,
            to_rgb=to_rgb, **kwargs)
        self.stats_loaded = stats is not None

    def _load_stats(self):
        stats = load_image_stats(self.stats_file)
        for key in ('mean', 'std'):
            buf = getattr(self, key)
            # a new buffer: the file may hold 1 (grey) value where the
            # placeholder had 3
            setattr(self, key, torch.tensor(
                stats[key], dtype=buf.dtype, device=buf.device).view(-1, 1, 1))
        self.stats_loaded = True

    def forward(self, data, training=False):
        if not self.stats_loaded:
            self._load_stats()
        return super().forward(data, training)
