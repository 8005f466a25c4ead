"""Tests must behave the same on a GPU host as on CPU-only CI.

Multi-process tests compare CPU/gloo ranks bit for bit; their children must
not pick up the host's GPUs (NCCL, every rank on GPU 0, non-deterministic
kernels). They build their environment with ``mmddarts.testing.cpu_ranks``,
which hides the GPUs on purpose.
"""
import glob
import os
import os.path as osp
import re
import subprocess
import sys

from mmddarts.testing import cpu_ranks
from mmddarts.testing.cpu_ranks import cpu_rank_env

TESTS = osp.dirname(osp.dirname(osp.abspath(__file__)))
TESTING = osp.dirname(osp.abspath(cpu_ranks.__file__))


def test_fake_visible_gpus_are_hidden_from_ranks():
    host = {'CUDA_VISIBLE_DEVICES': '0,1', 'PYTHONPATH': 'site_x'}
    env = cpu_rank_env(1, 2, 12345, 'the_repo', base=host)
    assert env['CUDA_VISIBLE_DEVICES'] == ''
    assert env['RANK'] == env['LOCAL_RANK'] == '1'
    assert env['WORLD_SIZE'] == '2'
    assert env['PYTHONPATH'].split(os.pathsep)[:2] == ['the_repo', 'site_x']
    assert host['CUDA_VISIBLE_DEVICES'] == '0,1'  # the caller's env intact


def test_child_rank_sees_no_gpu_even_when_the_host_lists_some():
    code = ('import torch; print(torch.cuda.device_count(), '
            'torch.empty(1).device)')
    host = dict(os.environ, CUDA_VISIBLE_DEVICES='0,1')
    out = subprocess.run([sys.executable, '-c', code],
                         env=cpu_rank_env(0, 1, 1, TESTS, base=host),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ['0', 'cpu']


def test_every_multiprocess_test_uses_the_cpu_rank_env():
    offenders = []
    paths = glob.glob(osp.join(TESTS, '**', '*.py'), recursive=True) + \
        glob.glob(osp.join(TESTING, '*.py'))
    for path in paths:
        if osp.samefile(path, cpu_ranks.__file__) or \
                osp.samefile(path, __file__):
            continue
        text = open(path).read()
        # a rank's environment built by hand (WORLD_SIZE=... for a child)
        if re.search(r'\bWORLD_SIZE\s*=', text) and not re.search(
                r'cpu_rank_env|run_cpu_ranks', text):
            offenders.append(osp.relpath(path, osp.dirname(TESTS)))
    assert not offenders, (
        f'{offenders} start ranks without '
        'mmddarts.testing.cpu_ranks.cpu_rank_env: '
        'on a GPU host their children would see the GPUs')
