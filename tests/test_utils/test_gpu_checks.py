"""Start-up checks for GPU hosts, exercised on CPU with a fake nvidia-smi."""
import os
import stat

import pytest
import torch

from mmddarts.utils import gpu_checks


def fake_smi(tmp_path, text, rc=0):
    path = tmp_path / 'nvidia-smi'
    path.write_text(f'#!/bin/sh\ncat <<"EOF"\n{text}\nEOF\nexit {rc}\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_gpus_listed_but_torch_blind_is_refused(tmp_path, monkeypatch):
    smi = fake_smi(tmp_path, 'NVIDIA H200, 535.54.03\nNVIDIA H200, 535.54.03')
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(torch.version, 'cuda', '13.0')
    with pytest.raises(SystemExit) as err:
        gpu_checks.check_torch_sees_gpus(env={}, smi=smi)
    msg = str(err.value)
    assert '2 GPU(s)' in msg and 'driver 535.54.03' in msg
    assert 'CUDA 13.0' in msg and 'driver >= 580' in msg
    assert 'MMDDARTS_ALLOW_CPU=1' in msg


def test_cpu_only_torch_named(tmp_path, monkeypatch):
    smi = fake_smi(tmp_path, 'Tesla V100, 550.1')
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(torch.version, 'cuda', None)
    with pytest.raises(SystemExit, match='CPU-only build'):
        gpu_checks.check_torch_sees_gpus(env={}, smi=smi)


@pytest.mark.parametrize('env', [{'CUDA_VISIBLE_DEVICES': ''},
                                 {'CUDA_VISIBLE_DEVICES': '-1'},
                                 {'MMDDARTS_ALLOW_CPU': '1'}])
def test_deliberate_cpu_runs_pass(tmp_path, monkeypatch, env):
    smi = fake_smi(tmp_path, 'NVIDIA H200, 580.1')
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    gpu_checks.check_torch_sees_gpus(env=env, smi=smi)


def test_no_driver_or_failing_smi_passes(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    gpu_checks.check_torch_sees_gpus(env={}, smi=str(tmp_path / 'absent'))
    smi = fake_smi(tmp_path, 'NVIDIA-SMI has failed', rc=9)
    gpu_checks.check_torch_sees_gpus(env={}, smi=smi)


def test_usable_gpus_pass(tmp_path, monkeypatch):
    smi = fake_smi(tmp_path, 'NVIDIA H200, 580.1')
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    gpu_checks.check_torch_sees_gpus(env={}, smi=smi)


def test_deterministic_exports_cublas_workspace():
    env = {}
    assert gpu_checks.prepare_deterministic(
        dict(randomness=dict(seed=0, deterministic=True)), env)
    assert env['CUBLAS_WORKSPACE_CONFIG'] == ':4096:8'
    env = {'CUBLAS_WORKSPACE_CONFIG': ':16:8'}  # the user's choice is kept
    gpu_checks.prepare_deterministic(
        dict(randomness=dict(deterministic=True)), env)
    assert env['CUBLAS_WORKSPACE_CONFIG'] == ':16:8'
    env = {}
    assert not gpu_checks.prepare_deterministic(dict(randomness=dict()), env)
    assert not gpu_checks.prepare_deterministic(dict(), env)
    assert env == {}


def test_launch_scripts_export_cublas_workspace():
    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    text = open(os.path.join(root, 'tools', '_launch_env.sh')).read()
    assert 'CUBLAS_WORKSPACE_CONFIG' in text
