"""benchmark_arch_step.py reports why a measuring child failed (here: a
device that does not exist) instead of a bare CalledProcessError."""
import os
import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'analysis_tools', 'benchmark_arch_step.py')


def test_child_error_is_shown():
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1')
    res = subprocess.run(
        [sys.executable, TOOL, '--device', 'cuda:99', '--cells', '2', '--C',
         '4', '--batch', '2', '--img', '8', '--modes', 'weight', '--warmup',
         '0', '--repeat', '1'], capture_output=True, text=True, timeout=300,
        env=env)
    assert res.returncode == 1
    assert 'CalledProcessError' not in res.stderr
    assert 'Traceback' not in res.stderr
    (line, ) = res.stderr.strip().splitlines()
    assert line.startswith("benchmark_arch_step: mode 'weight' on device "
                           "'cuda:99' failed (exit code 1): ")
    # the child's own exception, e.g. 'RuntimeError: Found no NVIDIA
    # driver...', 'AssertionError: Torch not compiled with CUDA enabled'
    # or 'invalid device ordinal' on a machine with fewer GPUs
    reason = line.split('): ', 1)[1]
    assert 'Error' in reason or 'error' in reason, line
