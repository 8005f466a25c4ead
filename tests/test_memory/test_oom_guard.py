"""Which errors count as out of memory, and the report of one: where it
happened, the fixes, the checkpoint to resume from."""
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config

from mmddarts.memory.oom_guard import is_out_of_memory, oom_guard, oom_report

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_out_of_memory_errors():
    assert is_out_of_memory(MemoryError())
    assert is_out_of_memory(torch.cuda.OutOfMemoryError(
        'CUDA out of memory. Tried to allocate 2.00 GiB'))
    assert is_out_of_memory(RuntimeError(
        '[enforce fail at alloc_cpu.cpp:117] . DefaultCPUAllocator: '
        "can't allocate memory: you tried to allocate 123 bytes"))
    assert not is_out_of_memory(RuntimeError('shape mismatch'))
    assert not is_out_of_memory(ValueError('out of memory'))


class _Logger:
    def __init__(self):
        self.lines = []

    def error(self, msg):
        self.lines.append(msg)


def _runner(tmp_path, ckpt=True):
    cfg = Config.fromfile(osp.join(REPO, 'configs/search/ddarts_c100.py'))
    if ckpt:
        (tmp_path / 'last_checkpoint').write_text(
            str(tmp_path / 'epoch_3.pth'))
    return SimpleNamespace(
        cfg=cfg, iter=13, epoch=3, work_dir=str(tmp_path),
        train_loop=SimpleNamespace(dataloader=[None] * 5), logger=_Logger())


def test_report_names_the_iteration_fixes_and_checkpoint(tmp_path):
    runner = _runner(tmp_path)
    msg = oom_report(runner, MemoryError('boom'), 'configs/x.py')
    # 13 iterations done, 5 per epoch: the 14th = epoch 4, iteration 4/5
    assert msg.startswith('Out of memory at epoch 4, iteration 4/5 (global '
                          'iteration 14), batch 128: MemoryError: boom')
    assert '1. a smaller batch' in msg and '--auto-batch' in msg
    assert f'{tmp_path}/epoch_3.pth, is intact' in msg
    assert f'python tools/train.py configs/x.py --work-dir {tmp_path} ' \
        '--resume' in msg
    assert 'python tools/train.py CONFIG' in oom_report(runner,
                                                        MemoryError(), None)


def test_guard_exits_on_oom_and_passes_other_errors(tmp_path):
    runner = _runner(tmp_path, ckpt=False)
    with pytest.raises(SystemExit) as err:
        with oom_guard(runner, 'c.py'):
            raise MemoryError('injected')
    assert err.value.code == 1
    assert 'No checkpoint was written yet' in runner.logger.lines[0]
    with pytest.raises(KeyError):
        with oom_guard(runner, 'c.py'):
            raise KeyError('not memory')
