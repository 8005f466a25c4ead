"""tools/slurm_train.sh runs train.py with the interpreter dist_train.sh
uses (the repository's .venv, or $PYTHON), passing options through intact.
``srun`` is replaced by a script that records its arguments."""
import os
import os.path as osp
import shutil
import subprocess

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO, 'tools', 'slurm_train.sh')

pytestmark = pytest.mark.skipif(shutil.which('bash') is None,
                                reason='needs bash')


def _run(tmp_path, **env_extra):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir(exist_ok=True)
    record = tmp_path / 'srun_args'
    srun = bin_dir / 'srun'
    srun.write_text('#!/usr/bin/env bash\n'
                    f'printf "%s\\n" "$@" > {record}\n'
                    f'echo "$PYTHONPATH" > {record}.pythonpath\n')
    srun.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != 'PYTHON'}
    env.update(PATH=f'{bin_dir}:{os.environ["PATH"]}', **env_extra)
    subprocess.run(
        ['bash', SCRIPT, 'part', 'job', 'cfg.py', 'work dir',
         '--cfg-options', 'a=1 2', '--amp'],
        check=True, env=env, capture_output=True)
    args = record.read_text().splitlines()
    return args, (tmp_path / 'srun_args.pythonpath').read_text().strip()


def _expected_python():
    venv = osp.join(REPO, '.venv', 'bin', 'python')
    return venv if os.access(venv, os.X_OK) else 'python'


def test_uses_the_same_python_as_dist_train(tmp_path):
    args, pythonpath = _run(tmp_path)
    i = args.index('--kill-on-bad-exit=1') + 1
    assert args[i:] == [
        _expected_python(), '-u', osp.join(REPO, 'tools', 'train.py'),
        'cfg.py', '--work-dir=work dir', '--launcher=slurm',
        '--cfg-options', 'a=1 2', '--amp']
    assert args[:2] == ['-p', 'part'] and '--job-name=job' in args
    assert pythonpath.split(':')[0] == REPO
    # every launcher resolves the interpreter in one shared place
    for name in ('slurm_train.sh', 'dist_train.sh', 'dist_test.sh'):
        with open(osp.join(REPO, 'tools', name)) as f:
            assert '_launch_env.sh' in f.read(), name
    with open(osp.join(REPO, 'tools', '_launch_env.sh')) as f:
        assert '$ROOT/.venv/bin/python' in f.read()


def test_python_variable_overrides(tmp_path):
    python = str(tmp_path / 'opt' / 'py' / 'bin' / 'python3')  # never run
    args, _ = _run(tmp_path, PYTHON=python)
    assert python in args
    assert args[args.index(python) + 1] == '-u'
