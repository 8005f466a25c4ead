"""How tools/setup_env.sh builds mmcv's compiled ops on this machine.

    python tools/setup/mmcv_build_plan.py plan       # KEY=VALUE lines (eval)
    python tools/setup/mmcv_build_plan.py selfcheck  # run the ops, CUDA too

Only the standard library and torch: it runs before the OpenMMLab stack is
installed. The decision itself (:func:`decide`) is a pure function of the
machine's facts so that it is tested on CPU-only machines.

Why: mmcv's own build turns its CUDA ops on whenever torch sees a GPU, so on
a GPU host without a matching nvcc it fails, and a CPU-only wheel built on a
login node would be reused by a GPU node if the cache ignored CUDA. mmdet
needs the CUDA ops on GPU (FocalLoss -> sigmoid_focal_loss, RetinaNet's nms,
Mask R-CNN's RoIAlign).
"""
import os
import re
import shutil
import subprocess
import sys

MMCV_VERSION = '2.1.0'
# nvcc's peak memory per compile job with torch's headers (GiB); C++ only.
GIB_PER_JOB = dict(cuda=4, cpu=2)


class PlanError(RuntimeError):
    """The machine cannot build what it needs; the message says what to do."""


def parse_nvcc_version(text):
    """'13.0' from ``nvcc --version`` output (``release 13.0, V13.0.48``)."""
    m = re.search(r'release (\d+)\.(\d+)', text or '')
    return f'{m.group(1)}.{m.group(2)}' if m else None


def arch_list(capabilities):
    """TORCH_CUDA_ARCH_LIST for the visible GPUs: ``[(9, 0), (8, 6)]`` ->
    ``'8.6;9.0'``."""
    return ';'.join(sorted({f'{a}.{b}' for a, b in capabilities},
                           key=lambda s: tuple(map(int, s.split('.')))))


def max_jobs(cores, mem_gib, cuda):
    per_job = GIB_PER_JOB['cuda' if cuda else 'cpu']
    return max(1, min(int(cores), int(mem_gib // per_job)))


def wheel_key(torch_version, torch_cuda, cuda, archs):
    """The cache folder name: a wheel is reused only by the same torch, the
    same torch CUDA, the same ops (CPU / CUDA) and the same archs."""
    key = (f'mmcv-{MMCV_VERSION}-torch{torch_version}'
           f'-cu{torch_cuda or "none"}-ops{"cuda" if cuda else "cpu"}')
    if cuda:
        key += '-sm' + archs.replace(';', '_').replace('+', '')
    return re.sub(r'[^A-Za-z0-9._-]', '_', key)


def decide(facts, env):
    """The build plan for ``facts`` (what the machine has) and ``env``.

    facts: torch_version, torch_cuda (None for a CPU torch), gpu_count
    (GPUs torch can use), capabilities, nvcc (version or None), cores,
    mem_gib, smi_gpus (GPUs nvidia-smi lists).
    env: FORCE_CUDA ('0'/'1' or unset = automatic), TORCH_CUDA_ARCH_LIST,
    MAX_JOBS, MMDDARTS_CPU_OPS_ONLY ('1': build CPU ops on a GPU host).
    Returns (plan dict, warnings list); raises PlanError.
    """
    warnings = []
    force = env.get('FORCE_CUDA', '')
    cpu_only_ok = env.get('MMDDARTS_CPU_OPS_ONLY') == '1'
    if facts['smi_gpus'] and not facts['gpu_count'] and force != '0' \
            and not cpu_only_ok:
        raise PlanError(
            f'nvidia-smi lists {facts["smi_gpus"]} GPU(s) but torch '
            f'{facts["torch_version"]} (CUDA {facts["torch_cuda"]}) cannot '
            'use them: install a torch whose CUDA the driver supports '
            '(TORCH_INDEX_URL=https://download.pytorch.org/whl/cuXXX bash '
            'tools/setup_env.sh), or set MMDDARTS_CPU_OPS_ONLY=1 to set up '
            'for the CPU anyway')
    want_cuda = force == '1' or (force != '0' and facts['gpu_count'] > 0)
    if want_cuda and cpu_only_ok:
        warnings.append(
            'MMDDARTS_CPU_OPS_ONLY=1 on a GPU host: mmcv gets CPU ops only; '
            'search and classification run on the GPU, but mmdet detectors '
            '(RetinaNet, Mask R-CNN) will FAIL on the GPU (no CUDA nms, '
            'RoIAlign, sigmoid_focal_loss)')
        want_cuda = False
    if want_cuda:
        if facts['torch_cuda'] is None:
            raise PlanError('FORCE_CUDA=1 but this torch is a CPU-only '
                            'build: install a CUDA torch first')
        if facts['nvcc'] is None:
            raise PlanError(
                'torch sees a GPU but there is no nvcc to build mmcv\'s CUDA '
                'ops (mmdet needs them on GPU). Either install the CUDA '
                f'toolkit {facts["torch_cuda"]} (or `pip install '
                f'nvidia-cuda-nvcc` matching CUDA {facts["torch_cuda"]}) and '
                'put its nvcc on PATH / CUDA_HOME, or set '
                'MMDDARTS_CPU_OPS_ONLY=1 to continue with CPU ops only '
                '(detection on GPU disabled)')
        if facts['nvcc'].split('.')[0] != str(facts['torch_cuda']).split(
                '.')[0]:
            raise PlanError(
                f'nvcc {facts["nvcc"]} does not match torch\'s CUDA '
                f'{facts["torch_cuda"]} (the major versions must agree): put '
                f'a CUDA {facts["torch_cuda"].split(".")[0]}.x nvcc first on '
                'PATH (CUDA_HOME), or install the torch built for your nvcc')
    archs = ''
    if want_cuda:
        archs = env.get('TORCH_CUDA_ARCH_LIST') or arch_list(
            facts['capabilities'])
        if not archs:
            raise PlanError('FORCE_CUDA=1 without a visible GPU: say which '
                            'GPUs to build for in TORCH_CUDA_ARCH_LIST '
                            '(e.g. "8.0;9.0")')
    jobs = int(env.get('MAX_JOBS') or max_jobs(facts['cores'],
                                               facts['mem_gib'], want_cuda))
    plan = dict(
        MMCV_CUDA=int(want_cuda), ARCH_LIST=archs, MAX_JOBS=jobs,
        WHEEL_KEY=wheel_key(facts['torch_version'], facts['torch_cuda'],
                            want_cuda, archs),
        TORCH_CUDA=facts['torch_cuda'] or 'none')
    return plan, warnings


def machine_facts():
    import torch
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    caps = [torch.cuda.get_device_capability(i) for i in range(count)]
    nvcc = None
    cuda_home = os.environ.get('CUDA_HOME') or os.environ.get('CUDA_PATH')
    exe = (osp_join(cuda_home, 'bin', 'nvcc') if cuda_home else None)
    exe = exe if exe and os.path.exists(exe) else shutil.which('nvcc')
    if exe:
        try:
            nvcc = parse_nvcc_version(subprocess.run(
                [exe, '--version'], capture_output=True, text=True,
                timeout=60).stdout)
        except (OSError, subprocess.SubprocessError):
            nvcc = None
    smi_gpus = 0
    if shutil.which('nvidia-smi') and os.environ.get(
            'CUDA_VISIBLE_DEVICES') not in ('', '-1'):
        try:
            out = subprocess.run(['nvidia-smi', '-L'], capture_output=True,
                                 text=True, timeout=30)
            if out.returncode == 0:
                smi_gpus = sum(line.startswith('GPU ')
                               for line in out.stdout.splitlines())
        except (OSError, subprocess.SubprocessError):
            pass
    mem_gib = 4.0
    try:
        with open('/proc/meminfo') as f:
            for line in f:
                if line.startswith('MemAvailable:'):
                    mem_gib = int(line.split()[1]) / 2**20
    except OSError:
        pass
    return dict(torch_version=torch.__version__.split('+')[0],
                torch_cuda=torch.version.cuda, gpu_count=count,
                capabilities=caps, nvcc=nvcc, cores=os.cpu_count() or 1,
                mem_gib=mem_gib, smi_gpus=smi_gpus)


def osp_join(*parts):
    return os.path.join(*parts)


def selfcheck():
    """Run the compiled ops mmdet needs: nms and roi_align on the CPU;
    on a GPU also nms, roi_align and sigmoid_focal_loss (CUDA only in mmcv)
    forward and backward on CUDA, the loss against a plain torch formula."""
    import torch
    import mmcv.ops as ops
    devices = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])
    for dev in devices:
        try:
            boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 11., 11.],
                                  [50., 50., 60., 60.]], device=dev)
            scores = torch.tensor([0.9, 0.8, 0.7], device=dev)
            _, keep = ops.nms(boxes, scores, 0.5)
            assert keep.tolist() == [0, 2], f'nms kept {keep.tolist()}'
            torch.manual_seed(0)
            feat = torch.rand(1, 2, 8, 8, device=dev, requires_grad=True)
            rois = torch.tensor([[0., 1., 1., 6., 6.]], device=dev)
            out = ops.roi_align(feat, rois, (2, 2), 1.0, 2, 'avg', True)
            out.sum().backward()
            assert torch.isfinite(feat.grad).all() and \
                feat.grad.abs().sum() > 0
            if dev == 'cpu':  # mmcv has no CPU sigmoid_focal_loss
                print('[setup_env] mmcv ops self-check on cpu: nms, '
                      'roi_align forward/backward ok', file=sys.stderr)
                continue
            logits = torch.randn(4, 3, device=dev, requires_grad=True)
            target = torch.tensor([0, 1, 2, 1], device=dev)
            loss = ops.sigmoid_focal_loss(logits, target, 2.0, 0.25, None,
                                          'sum')
            p = logits.detach().sigmoid()
            t = torch.nn.functional.one_hot(target, 3).float()
            pt = (1 - p) * t + p * (1 - t)
            w = (0.25 * t + 0.75 * (1 - t)) * pt.pow(2)
            ref = (torch.nn.functional.binary_cross_entropy_with_logits(
                logits.detach(), t, reduction='none') * w).sum()
            assert torch.allclose(loss.detach(), ref, rtol=1e-4), \
                f'sigmoid_focal_loss {loss.item()} != {ref.item()}'
            loss.backward()
            assert torch.isfinite(logits.grad).all()
        except Exception as err:  # noqa: BLE001 (reported, then fatal)
            hint = ('rebuild mmcv with its CUDA ops: remove the cached wheel '
                    'and run FORCE_CUDA=1 bash tools/setup_env.sh with an '
                    f'nvcc matching torch\'s CUDA {torch.version.cuda}'
                    if dev == 'cuda' else
                    'mmcv was built without its compiled ops (mmcv-lite?)')
            print(f'[setup_env] mmcv ops self-check FAILED on {dev}: '
                  f'{type(err).__name__}: {err}\n[setup_env] fix: {hint}',
                  file=sys.stderr)
            return 1
        print(f'[setup_env] mmcv ops self-check on {dev}: nms, roi_align, '
              'sigmoid_focal_loss forward/backward ok', file=sys.stderr)
    return 0


def main(argv):
    if argv[1:] == ['plan']:
        try:
            plan, warnings = decide(machine_facts(), os.environ)
        except PlanError as err:
            print(f'[setup_env] ERROR: {err}', file=sys.stderr)
            return 3
        for w in warnings:
            print(f'[setup_env] WARNING: {w}', file=sys.stderr)
        for k, v in plan.items():
            print(f"MMDDARTS_{k}='{v}'")
        return 0
    if argv[1:] == ['selfcheck']:
        return selfcheck()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
