"""How much memory a run may still use, and how much a process has used.

Budget (what a new allocation can get):

- CUDA: the device's free memory (``torch.cuda.mem_get_info``);
- CPU: ``MemAvailable`` of ``/proc/meminfo`` (the kernel's estimate of what
  can be allocated without swapping, page cache included), capped by the
  headroom of every memory cgroup the process belongs to (v2 ``memory.max``
  minus ``memory.current``, v1 ``memory.limit_in_bytes`` minus
  ``memory.usage_in_bytes``; reclaimable ``inactive_file`` pages count as
  free), from the process's own cgroup up to the root, since a container's
  limit is usually set on a parent.

Usage of a process on CPU: its resident set (``VmRSS``) and high-water mark
(``VmHWM``) from ``/proc/self/status``. Torch's CPU tensors come from
``malloc``/``mmap`` directly, so Python's ``tracemalloc`` never sees them; the
kernel's RSS counts every page the process touches, whoever allocated it, and
``VmHWM`` keeps its maximum even for peaks that last microseconds. Writing
``5`` to ``/proc/self/clear_refs`` (Linux >= 4.0) resets the mark to the
current RSS, so one process can measure several peaks in turn.
"""
import os
import re
from typing import Dict, Optional

UNLIMITED = 1 << 60  # cgroup v1 writes ~2**63 for "no limit"
MiB = 1 << 20


def _read(path: str) -> Optional[str]:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def _status_kib(field: str) -> Optional[int]:
    text = _read('/proc/self/status')
    if text is None:
        return None
    m = re.search(rf'^{field}:\s+(\d+)\s+kB', text, re.M)
    return int(m.group(1)) * 1024 if m else None


def rss_bytes() -> Optional[int]:
    """Resident set size of this process (None off Linux)."""
    return _status_kib('VmRSS')


def peak_rss_bytes() -> Optional[int]:
    """High-water mark of this process's resident set (None off Linux)."""
    hwm = _status_kib('VmHWM')
    if hwm is not None:
        return hwm
    try:  # ru_maxrss: KiB on Linux, bytes on macOS; never reset
        import resource
        import sys
        r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return r if sys.platform == 'darwin' else r * 1024
    except (ImportError, OSError):
        return None


def reset_peak_rss() -> bool:
    """Reset ``VmHWM`` to the current RSS; False where the kernel cannot."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def release_free_heap() -> bool:
    """Give the C heap's free pages back to the kernel (glibc
    ``malloc_trim(0)``), so that memory freed earlier by this process is not
    silently reused, uncounted, by a measurement that starts now (a forked
    child inherits its parent's resident free chunks). False off glibc."""
    try:
        import ctypes
        return bool(ctypes.CDLL('libc.so.6').malloc_trim(0) or True)
    except (OSError, AttributeError):
        return False


def meminfo_available_bytes() -> Optional[int]:
    text = _read('/proc/meminfo')
    if text is None:
        return None
    m = re.search(r'^MemAvailable:\s+(\d+)\s+kB', text, re.M)
    return int(m.group(1)) * 1024 if m else None


def _int_or_none(text):
    if text is None:
        return None
    text = text.strip()
    if text == 'max':
        return UNLIMITED
    try:
        return int(text)
    except ValueError:
        return None


def _stat_value(text, key):
    if text is None:
        return 0
    m = re.search(rf'^{key}\s+(\d+)', text, re.M)
    return int(m.group(1)) if m else 0


def _cgroup_dirs(root='/sys/fs/cgroup', proc_cgroup='/proc/self/cgroup'):
    """(version, directory) of every memory cgroup level of this process,
    innermost first; the mount root (a container's own cgroup) last."""
    text = _read(proc_cgroup) or ''
    out = []
    for line in text.splitlines():
        parts = line.split(':', 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if controllers == '':
            version, base = 2, root
        elif 'memory' in controllers.split(','):
            version, base = 1, osp_join(root, 'memory')
        else:
            continue
        path = path.strip().strip('/')
        levels = path.split('/') if path else []
        for k in range(len(levels), -1, -1):
            d = osp_join(base, *levels[:k])
            if os.path.isdir(d) and (version, d) not in out:
                out.append((version, d))
    return out


def osp_join(*parts):
    return os.path.join(*parts)


def cgroup_headroom_bytes(root='/sys/fs/cgroup',
                          proc_cgroup='/proc/self/cgroup') -> Optional[int]:
    """Smallest ``limit - usage`` over this process's memory cgroups (None:
    no limit found)."""
    best = None
    for version, d in _cgroup_dirs(root, proc_cgroup):
        if version == 2:
            limit = _int_or_none(_read(osp_join(d, 'memory.max')))
            usage = _int_or_none(_read(osp_join(d, 'memory.current')))
            inactive = _stat_value(_read(osp_join(d, 'memory.stat')),
                                   'inactive_file')
        else:
            limit = _int_or_none(_read(osp_join(d, 'memory.limit_in_bytes')))
            usage = _int_or_none(_read(osp_join(d, 'memory.usage_in_bytes')))
            inactive = _stat_value(_read(osp_join(d, 'memory.stat')),
                                   'total_inactive_file')
        if limit is None or usage is None or limit >= UNLIMITED:
            continue
        head = max(0, limit - max(0, usage - inactive))
        best = head if best is None else min(best, head)
    return best


def cpu_budget() -> Dict[str, Optional[int]]:
    """What this process can still allocate on CPU, with its sources."""
    avail = meminfo_available_bytes()
    cgroup = cgroup_headroom_bytes()
    cands = [v for v in (avail, cgroup) if v is not None]
    return dict(budget=min(cands) if cands else None, mem_available=avail,
                cgroup_headroom=cgroup)


def cuda_budget(device=None) -> Dict[str, Optional[int]]:
    """Free memory of a CUDA device (creates the CUDA context)."""
    import torch
    free, total = torch.cuda.mem_get_info(device)
    return dict(budget=int(free), cuda_free=int(free), cuda_total=int(total))


def device_budget(device: str) -> Dict[str, Optional[int]]:
    return cuda_budget(device) if str(device).startswith('cuda') \
        else cpu_budget()


def parse_size(value) -> int:
    """Bytes from an int (bytes) or a text like ``'512MB'``, ``'2.5GiB'``,
    ``'24G'`` (powers of 1024)."""
    if isinstance(value, (int, float)):
        return int(value)
    m = re.fullmatch(r'\s*([0-9.]+)\s*([kmgt]?)(i?b)?\s*', str(value), re.I)
    if not m:
        raise ValueError(f'cannot read a memory size from {value!r}; use '
                         "bytes or e.g. '512MB', '24GB'")
    scale = 1024**'bkmgt'.index((m.group(2) or 'b').lower())
    return int(float(m.group(1)) * scale)


def fmt_bytes(n) -> str:
    if n is None:
        return 'unknown'
    if abs(n) >= 1 << 30:
        return f'{n / (1 << 30):.2f} GiB'
    return f'{n / MiB:.0f} MiB'
