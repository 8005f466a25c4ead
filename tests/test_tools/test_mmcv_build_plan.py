"""tools/setup/mmcv_build_plan.py: how set-up builds mmcv's ops on each kind
of machine (facts given by hand; nothing is built)."""
import importlib.util
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
spec = importlib.util.spec_from_file_location(
    'mmcv_build_plan', osp.join(ROOT, 'tools', 'setup', 'mmcv_build_plan.py'))
plan_mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(plan_mod)
decide, PlanError = plan_mod.decide, plan_mod.PlanError

CPU_HOST = dict(torch_version='2.14.1', torch_cuda='13.0', gpu_count=0,
                capabilities=[], nvcc=None, cores=2, mem_gib=24, smi_gpus=0)
GPU_HOST = dict(CPU_HOST, gpu_count=1, capabilities=[(9, 0)], nvcc='13.0',
                cores=16, mem_gib=128, smi_gpus=1)


def test_cpu_host_builds_cpu_ops():
    plan, warnings = decide(CPU_HOST, {})
    assert plan['MMCV_CUDA'] == 0 and plan['ARCH_LIST'] == ''
    assert plan['MAX_JOBS'] == 2 and not warnings
    assert plan['WHEEL_KEY'] == 'mmcv-2.1.0-torch2.14.1-cu13.0-opscpu'


def test_gpu_host_builds_cuda_ops_for_its_arch():
    plan, _ = decide(GPU_HOST, {})
    assert plan['MMCV_CUDA'] == 1 and plan['ARCH_LIST'] == '9.0'
    # nvcc needs ~4 GiB per job: 128 GiB allows 32, the 16 cores cap it
    assert plan['MAX_JOBS'] == 16
    assert plan['WHEEL_KEY'] == 'mmcv-2.1.0-torch2.14.1-cu13.0-opscuda-sm9.0'


def test_cache_key_separates_everything_that_changes_the_wheel():
    keys = {
        decide(CPU_HOST, {})[0]['WHEEL_KEY'],
        decide(GPU_HOST, {})[0]['WHEEL_KEY'],
        decide(dict(GPU_HOST, capabilities=[(8, 0), (9, 0)]),
               {})[0]['WHEEL_KEY'],
        decide(dict(GPU_HOST, torch_cuda='12.6', nvcc='12.4'),
               {})[0]['WHEEL_KEY'],
        decide(dict(GPU_HOST, torch_version='2.11.0'), {})[0]['WHEEL_KEY'],
        decide(dict(CPU_HOST, torch_cuda=None), {})[0]['WHEEL_KEY'],
    }
    assert len(keys) == 6


def test_memory_caps_nvcc_jobs():
    plan, _ = decide(dict(GPU_HOST, mem_gib=10), {})
    assert plan['MAX_JOBS'] == 2
    plan, _ = decide(dict(GPU_HOST, mem_gib=2), {})
    assert plan['MAX_JOBS'] == 1
    plan, _ = decide(GPU_HOST, {'MAX_JOBS': '3'})
    assert plan['MAX_JOBS'] == 3


def test_arch_list_from_env_and_from_several_gpus():
    plan, _ = decide(GPU_HOST, {'TORCH_CUDA_ARCH_LIST': '8.0;9.0+PTX'})
    assert plan['ARCH_LIST'] == '8.0;9.0+PTX'
    plan, _ = decide(dict(GPU_HOST, gpu_count=3,
                          capabilities=[(9, 0), (8, 6), (9, 0)]), {})
    assert plan['ARCH_LIST'] == '8.6;9.0'


def test_gpu_without_nvcc_offers_the_choice():
    with pytest.raises(PlanError) as err:
        decide(dict(GPU_HOST, nvcc=None), {})
    msg = str(err.value)
    assert 'nvidia-cuda-nvcc' in msg and 'MMDDARTS_CPU_OPS_ONLY=1' in msg
    plan, warnings = decide(dict(GPU_HOST, nvcc=None),
                            {'MMDDARTS_CPU_OPS_ONLY': '1'})
    assert plan['MMCV_CUDA'] == 0
    assert any('detectors' in w and 'FAIL' in w for w in warnings)


def test_nvcc_major_must_match_torch_cuda():
    with pytest.raises(PlanError, match='nvcc 12.4 does not match'):
        decide(dict(GPU_HOST, nvcc='12.4'), {})
    decide(dict(GPU_HOST, nvcc='13.1'), {})  # same major: fine


def test_force_cuda_without_gpu_needs_archs():
    with pytest.raises(PlanError, match='TORCH_CUDA_ARCH_LIST'):
        decide(dict(CPU_HOST, nvcc='13.0'), {'FORCE_CUDA': '1'})
    plan, _ = decide(dict(CPU_HOST, nvcc='13.0'),
                     {'FORCE_CUDA': '1', 'TORCH_CUDA_ARCH_LIST': '9.0'})
    assert plan['MMCV_CUDA'] == 1
    with pytest.raises(PlanError, match='CPU-only build'):
        decide(dict(CPU_HOST, torch_cuda=None, nvcc='13.0'),
               {'FORCE_CUDA': '1', 'TORCH_CUDA_ARCH_LIST': '9.0'})


def test_force_cuda_0_on_gpu_host():
    plan, _ = decide(GPU_HOST, {'FORCE_CUDA': '0'})
    assert plan['MMCV_CUDA'] == 0


def test_driver_gpus_that_torch_cannot_use():
    with pytest.raises(PlanError, match='cannot use them'):
        decide(dict(CPU_HOST, smi_gpus=2), {})
    plan, _ = decide(dict(CPU_HOST, smi_gpus=2),
                     {'MMDDARTS_CPU_OPS_ONLY': '1'})
    assert plan['MMCV_CUDA'] == 0


def test_parse_nvcc_version():
    text = ('nvcc: NVIDIA (R) Cuda compiler driver\n'
            'Cuda compilation tools, release 13.0, V13.0.48\n'
            'Build cuda_13.0.r13.0/compiler.36424714_0')
    assert plan_mod.parse_nvcc_version(text) == '13.0'
    assert plan_mod.parse_nvcc_version('') is None


def test_plan_output_is_shell(monkeypatch, capsys):
    monkeypatch.setattr(plan_mod, 'machine_facts', lambda: CPU_HOST)
    monkeypatch.delenv('FORCE_CUDA', raising=False)
    monkeypatch.delenv('MAX_JOBS', raising=False)
    assert plan_mod.main(['x', 'plan']) == 0
    out = capsys.readouterr().out.splitlines()
    assert "MMDDARTS_MMCV_CUDA='0'" in out
    assert "MMDDARTS_WHEEL_KEY='mmcv-2.1.0-torch2.14.1-cu13.0-opscpu'" in out


def test_setup_script_uses_the_plan():
    text = open(osp.join(ROOT, 'tools', 'setup_env.sh')).read()
    assert 'mmcv_build_plan.py" plan' in text
    assert 'mmcv_build_plan.py" selfcheck' in text
    assert '$MMDDARTS_WHEEL_KEY' in text


def test_selfcheck_runs_the_compiled_ops_here():
    """The installed mmcv's compiled CPU ops (nms, roi_align) really run."""
    pytest.importorskip('mmcv.ops')
    assert plan_mod.selfcheck() == 0
