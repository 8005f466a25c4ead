"""The backend and device count in force are what the logs say: the
config's nccl becomes the gloo group a CPU-only machine really uses."""
import torch
import torch.distributed as dist
from mmengine.config import Config

import pytest

from mmddarts.utils.dist_utils import (describe_devices,
                                       record_effective_backend)


@pytest.fixture
def gloo_group(tmp_path):
    dist.init_process_group('gloo', init_method=f'file://{tmp_path / "s"}',
                            rank=0, world_size=1)
    yield
    dist.destroy_process_group()


def _cfg():
    return Config(dict(env_cfg=dict(cudnn_benchmark=False,
                                    dist_cfg=dict(backend='nccl'))))


def test_without_group_nothing_changes():
    cfg = _cfg()
    assert record_effective_backend(cfg) == 'nccl'
    assert cfg.env_cfg.dist_cfg.backend == 'nccl'
    line = describe_devices('nccl')
    if not torch.cuda.is_available():
        assert line == 'Devices: no CUDA GPU, running on CPU - 1 process.'


def test_gloo_group_is_recorded_and_described(gloo_group):
    cfg = _cfg()
    assert record_effective_backend(cfg) == 'nccl'
    assert cfg.env_cfg.dist_cfg == dict(backend='gloo')
    assert cfg.env_cfg.cudnn_benchmark is False  # the rest is kept
    assert "'backend': 'gloo'" in cfg.pretty_text or \
        "backend='gloo'" in cfg.pretty_text
    line = describe_devices('nccl')
    if torch.cuda.is_available():
        assert line.startswith('Devices: 1 process, one CUDA GPU each')
    else:
        assert line == (
            'Devices: no CUDA GPU, running on CPU - 1 process, backend '
            'gloo instead of the configured nccl ("GPU number: 1" in the '
            'environment log counts processes).')
