"""tools/gpu_acceptance.sh on a CPU machine: its syntax, its usage errors,
the wheel folder of --make-wheels (from the package index, a few small
packages), and stage a's benchmark on a toy supernet on the CPU."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(ROOT, 'tools', 'gpu_acceptance.sh')


def test_syntax_and_usage():
    subprocess.run(['bash', '-n', SCRIPT], check=True)
    out = subprocess.run(['bash', SCRIPT], capture_output=True, text=True)
    assert out.returncode == 2 and 'usage' in out.stderr
    out = subprocess.run(['bash', SCRIPT, '--make-wheels'],
                         capture_output=True, text=True)
    assert out.returncode == 2 and '--make-wheels DIR' in out.stderr


def test_make_wheels_folder(tmp_path):
    """Pure wheels copied, binary ones fetched for cp312, the mmcv sdist."""
    out_dir = tmp_path / 'wheels'
    env = dict(os.environ, PYTHON=sys.executable)
    res = subprocess.run(
        ['bash', SCRIPT, '--make-wheels', str(out_dir),
         '--requirement', 'addict==2.4.0', '--requirement', 'PyYAML==6.0.2'],
        env=env, capture_output=True, text=True, timeout=600)
    if res.returncode != 0 and 'Could not find' in res.stderr + res.stdout:
        pytest.fail(f'package index unreachable?\n{res.stderr[-2000:]}')
    assert res.returncode == 0, res.stderr[-3000:]
    files = sorted(os.listdir(out_dir))
    assert 'addict-2.4.0-py3-none-any.whl' in files
    assert any(f.startswith('PyYAML-6.0.2-cp312-cp312-manylinux')
               for f in files), files
    assert 'mmcv-2.1.0.tar.gz' in files
    manifest = (out_dir / 'MANIFEST.txt').read_text().splitlines()
    kinds = dict(line.split('\t') for line in manifest)
    assert kinds['mmcv-2.1.0.tar.gz'].startswith('sdist')
    assert kinds['addict-2.4.0-py3-none-any.whl'] == 'pure wheel'
    assert not any(f.startswith(('torch-', 'nvidia')) for f in files)


def test_stage_a_benchmark_runs_on_cpu(tmp_path):
    out = tmp_path / 'bench.json'
    res = subprocess.run(
        [sys.executable, 'tools/analysis_tools/search_step_bench.py',
         'configs/search/ddarts_c10.py', '--device', 'cpu', '--batch', '2',
         '--img', '8', '--iters', '1', '--warmup', '1', '--precisions',
         'fp32', '--json', str(out), '--cfg-options',
         'model.architecture.num_cells=3', 'model.architecture.channels=4',
         'model.architecture.steps=2'],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env=dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1'))
    assert res.returncode == 0, res.stderr[-3000:]
    rows = json.loads(out.read_text())
    assert [r['mode'] for r in rows] == ['none', 'reference', 'exact']
    for r in rows:
        assert r['finite'] and r['s_per_iter'] > 0
        assert r['overflow_skipped'] == 0 and r['peak_mem_gib'] > 0
