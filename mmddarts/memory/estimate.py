"""Peak memory of one search iteration, as a linear function of the batch.

One search iteration (``DDartsSearch.train_step``: the architecture step in
the config's ablation mode, the weight step, both optimizer steps) is run in
a child process on synthetic images of the config's shape, at two (or more)
small batch sizes, and its peak memory above the child's starting point is
fitted by ``peak(B) = fixed + per_image * B`` (least squares).

Why a child process: on CPU the only complete measure of what torch holds is
the kernel's resident set (torch's allocations bypass ``tracemalloc``), whose
high-water mark (``VmHWM``) belongs to the whole process; a child also keeps
the caller's random streams, CUDA context and allocator caches untouched.
The child is spawned (a fresh interpreter: a few seconds of start-up). A
forked child would start faster but inherits the caller's heap: pages the
caller freed but still holds are reused by the child's small batches without
moving its high-water mark, which skewed the fit by up to 20 % when the caller
was a long-lived process (a test session). ``start_method='fork'`` is still
accepted.

What is measured: CPU, ``VmHWM`` (reset before each measured iteration by
``/proc/self/clear_refs``) minus the RSS before the model was built; CUDA,
``torch.cuda.max_memory_reserved`` (what the caching allocator took from the
driver; the CUDA context itself is outside it, and outside the free memory
the caller reads afterwards). Batches run in ascending order after one
warm-up iteration at the smallest, so the optimizers' state exists (as in
every iteration after the first) and memory the allocator keeps from a
smaller batch is reused by the next one, as in a real run. Not included: the
data set and the loader workers (sized by the data, not the batch) and
validation (no graph), which the safety margin of the callers covers.
"""
import math
import multiprocessing as mp
import time
import traceback
from dataclasses import asdict, dataclass, field
from typing import Optional, Sequence, Tuple

from mmddarts.utils.search_cfg import set_ablation_mode

from .budget import (fmt_bytes, peak_rss_bytes, release_free_heap,
                     reset_peak_rss, rss_bytes)

DEFAULT_BATCHES = (2, 4)


@dataclass
class MemoryFit:
    """``peak(B) = fixed + per_image * B`` in bytes, from measured points."""
    fixed: float
    per_image: float
    batches: Tuple[int, ...] = ()
    peaks: Tuple[int, ...] = ()
    device: str = 'cpu'
    amp: bool = False
    seconds: float = 0.0
    iter_seconds: Tuple[float, ...] = field(default_factory=tuple)

    def predict(self, batch: int) -> float:
        return self.fixed + self.per_image * batch

    def largest_batch(self, budget: float, margin: float = 0.1,
                      multiple: int = 8,
                      max_batch: Optional[int] = None) -> int:
        """The largest batch whose predicted peak stays within
        ``budget * (1 - margin)``, rounded down to a multiple of
        ``multiple`` when at least ``multiple`` fits; 0 if not even one
        image fits; ``max_batch`` caps it (None: no cap)."""
        usable = budget * (1.0 - margin)
        if self.per_image <= 0:
            if self.fixed > usable:
                return 0
            if max_batch is None:
                raise ValueError('the measured peak does not grow with the '
                                 'batch: give a max_batch')
            return int(max_batch)
        b = int(math.floor((usable - self.fixed) / self.per_image))
        if max_batch is not None:
            b = min(b, int(max_batch))
        if b < 1:
            return 0
        if multiple and b >= multiple:
            b -= b % multiple
        return b

    def to_dict(self):
        return asdict(self)

    def describe(self) -> str:
        pts = ', '.join(f'B={b}: {fmt_bytes(p)}'
                        for b, p in zip(self.batches, self.peaks))
        return (f'{fmt_bytes(self.fixed)} + {fmt_bytes(self.per_image)} per '
                f'image (measured {pts})')


def fit_linear(batches: Sequence[int],
               peaks: Sequence[float]) -> Tuple[float, float]:
    """Least-squares (fixed, per_image) through (batch, peak) points."""
    if len(batches) != len(peaks) or len(set(batches)) < 2:
        raise ValueError('need peaks at two or more distinct batch sizes, '
                         f'got batches {list(batches)}')
    n = len(batches)
    mx = sum(batches) / n
    my = sum(peaks) / n
    sxx = sum((b - mx)**2 for b in batches)
    sxy = sum((b - mx) * (p - my) for b, p in zip(batches, peaks))
    slope = sxy / sxx
    return my - slope * mx, slope


# ---------------------------------------------------------------- config
def _pipeline_of(dataset):
    """The innermost ``pipeline`` of a (possibly wrapped) dataset config."""
    found = None
    while isinstance(dataset, dict):
        if dataset.get('pipeline'):
            found = dataset['pipeline']
        dataset = dataset.get('dataset')
    return found


def _hw(value, order):
    if isinstance(value, int):
        return value, value
    if isinstance(value, (list, tuple)) and len(value) == 2 and \
            all(isinstance(v, int) for v in value):
        return (value[0], value[1]) if order == 'hw' else (value[1],
                                                           value[0])
    return None


def search_input_shape(cfg) -> Tuple[int, int, int]:
    """(channels, height, width) of the images the search loader yields:
    ``preflight.input_shape`` if set, else the last crop / resize of the
    training pipeline (mmpretrain's ``crop_size`` is (h, w), ``scale`` is
    (w, h))."""
    pre = cfg.get('preflight', None)
    if isinstance(pre, dict) and pre.get('input_shape'):
        shape = tuple(int(v) for v in pre['input_shape'])
        if len(shape) != 3:
            raise ValueError('preflight.input_shape must be (C, H, W), got '
                             f'{shape}')
        return shape
    arch = cfg.model.get('architecture', {}) or {}
    channels = int(arch.get('in_channels', 3)) if isinstance(arch,
                                                             dict) else 3
    pipeline = _pipeline_of(cfg.train_dataloader.get('dataset')) or []
    for t in reversed(list(pipeline)):
        kind = str(t.get('type', ''))
        hw = None
        if 'Crop' in kind and 'crop_size' in t:
            hw = _hw(t['crop_size'], 'hw')
        elif 'Resize' in kind and 'scale' in t:
            hw = _hw(t['scale'], 'wh')
        if hw is not None:
            return (channels, ) + hw
    raise ValueError(
        'cannot tell the image size of train_dataloader: its pipeline has no '
        'crop or resize with a fixed size; set preflight=dict(input_shape='
        '(3, H, W)) in the config')


def search_batch_size(cfg) -> int:
    """The larger of the two search loaders' batch sizes."""
    sizes = [cfg.train_dataloader.get('batch_size')]
    if cfg.get('arch_dataloader', None) is not None:
        sizes.append(cfg.arch_dataloader.get('batch_size'))
    sizes = [int(s) for s in sizes if s is not None]
    if not sizes:
        raise ValueError('train_dataloader has no batch_size')
    return max(sizes)


def uses_amp(cfg) -> bool:
    """Whether any optimizer wrapper of the config is an AmpOptimWrapper."""
    def walk(node):
        if isinstance(node, dict):
            if str(node.get('type', '')).endswith('AmpOptimWrapper'):
                return True
            return any(walk(v) for v in node.values())
        return False
    return walk(cfg.get('optim_wrapper', {}))


# ----------------------------------------------------------- measurement
def _measure(cfg, batches, device, shape, warmup, threads):
    """Runs in the child: peak bytes per batch (ascending) and seconds."""
    import torch
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope

    from mmddarts.datasets.search_batch import random_search_batch
    from mmddarts.registry import MODELS
    from mmddarts.setup_env import register_all_modules

    if not isinstance(cfg, Config):
        cfg = Config(cfg)
        if cfg.get('custom_imports', None):
            from mmengine.utils import import_modules_from_strings
            import_modules_from_strings(**cfg.custom_imports)
    if threads:
        torch.set_num_threads(int(threads))
    register_all_modules(init_default_scope=False)
    init_default_scope(cfg.get('default_scope', 'mmddarts'))
    cuda = str(device).startswith('cuda')
    if cuda:
        torch.cuda.set_device(device)
        base = torch.cuda.memory_reserved(device)
    else:
        release_free_heap()  # the parent's freed heap must not be reused
        base = rss_bytes()  # uncounted by the measurement
    model_cfg = cfg.model.to_dict() if hasattr(cfg.model, 'to_dict') \
        else dict(cfg.model)
    if cfg.get('data_preprocessor', None) is not None:
        model_cfg.setdefault('data_preprocessor',
                             dict(cfg.data_preprocessor))
    model = MODELS.build(model_cfg).to(device).train()
    if hasattr(model, 'arch_update'):
        model.arch_update = True  # the costlier iteration
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    num_classes = int(model_cfg.get('architecture', {}).get(
        'num_classes', 10))

    def iteration(b):
        data = dict(
            weights=random_search_batch(b, shape, num_classes),
            arch=random_search_batch(b, shape, num_classes))
        t = time.perf_counter()
        model.train_step(data, optim)
        if cuda:
            torch.cuda.synchronize(device)
        return time.perf_counter() - t

    batches = sorted(int(b) for b in batches)
    if warmup:
        iteration(batches[0])
    peaks, secs = [], []
    for b in batches:
        if cuda:
            torch.cuda.reset_peak_memory_stats(device)
        else:
            release_free_heap()
            reset_peak_rss()  # else VmHWM only grows: still right ascending
        secs.append(iteration(b))
        if cuda:
            peaks.append(int(torch.cuda.max_memory_reserved(device) - base))
        else:
            peaks.append(int(peak_rss_bytes() - base))
    return dict(batches=batches, peaks=peaks, seconds=secs)


class MeasurementDied(RuntimeError):
    """The measuring child ended without an answer (``exitcode`` -9: the
    kernel's out-of-memory killer)."""

    def __init__(self, exitcode, batches):
        self.exitcode = exitcode
        self.killed = exitcode == -9
        why = ("killed by SIGKILL, the kernel's out-of-memory killer: not "
               'even these batches fit' if self.killed else
               'it crashed')
        super().__init__(f'the memory measurement process died at batches '
                         f'{batches} (exit code {exitcode}; {why})')


class MeasurementError(RuntimeError):
    """The child raised: ``error`` is ``'Type: message'`` (one line),
    ``is_oom`` whether it was an out-of-memory error, ``trace`` the
    traceback's tail."""

    def __init__(self, error, is_oom=False, trace=''):
        self.error, self.is_oom, self.trace = error, is_oom, trace
        super().__init__(error)


def _is_oom(err):
    return isinstance(err, MemoryError) or 'out of memory' in str(err) \
        or type(err).__name__ == 'OutOfMemoryError'


def _child_main(payload, conn):
    try:
        conn.send(('ok', _measure(**payload)))
    except BaseException as e:  # report, never hang the parent
        msg = ' '.join(str(e).split()) or type(e).__name__
        conn.send(('error', (f'{type(e).__name__}: {msg}', _is_oom(e),
                             traceback.format_exc()[-3000:])))
    finally:
        conn.close()


def _import_for_build():
    """Import in the caller what the child builds from (mmddarts' modules,
    mmpretrain's data preprocessor and DataSample): a forked child then
    starts with them, and tools/train.py's Runner needs them anyway."""
    from mmddarts.setup_env import register_all_modules
    register_all_modules(init_default_scope=False)
    try:
        import mmpretrain.models  # noqa: F401
        import mmpretrain.structures  # noqa: F401
    except ImportError:
        pass


def _start_method(device):
    # a fresh interpreter: measurements independent of the caller's heap
    # (and a forked child could not use an initialised CUDA anyway)
    return 'spawn'


def measure_search_peaks(cfg, batches: Sequence[int], device: str = 'cpu',
                         input_shape: Optional[Sequence[int]] = None,
                         warmup: bool = True, threads: Optional[int] = None,
                         timeout: Optional[float] = None,
                         start_method: Optional[str] = None) -> dict:
    """Peak memory (bytes above the child's start) of one search iteration
    of ``cfg`` at each batch size, measured in one child process.

    Returns ``dict(batches, peaks, seconds)`` (ascending batches).
    """
    import torch
    shape = tuple(input_shape) if input_shape else search_input_shape(cfg)
    if threads is None:
        threads = torch.get_num_threads()
    method = start_method or _start_method(device)
    if method == 'fork':
        _import_for_build()
    ctx = mp.get_context(method)
    payload = dict(cfg=cfg if method == 'fork' else cfg.to_dict(),
                   batches=list(batches), device=str(device), shape=shape,
                   warmup=warmup, threads=threads)
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child_main, args=(payload, send),
                       name='mmddarts-memory-estimate')
    proc.start()
    send.close()
    try:
        if not recv.poll(timeout):
            proc.kill()
            raise TimeoutError(f'memory measurement took over {timeout} s')
        status, result = recv.recv()
    except EOFError:
        proc.join()
        raise MeasurementDied(proc.exitcode, list(batches)) from None
    finally:
        recv.close()
    proc.join()
    if status != 'ok':
        raise MeasurementError(*result)
    return result


def estimate_search_memory(cfg, batches: Sequence[int] = DEFAULT_BATCHES,
                           device: str = 'cpu',
                           input_shape: Optional[Sequence[int]] = None,
                           threads: Optional[int] = None,
                           timeout: Optional[float] = None,
                           start_method: Optional[str] = None) -> MemoryFit:
    """Measure at ``batches`` and fit ``fixed + per_image * B``."""
    t = time.perf_counter()
    res = measure_search_peaks(cfg, batches, device=device,
                               input_shape=input_shape, threads=threads,
                               timeout=timeout, start_method=start_method)
    fixed, per_image = fit_linear(res['batches'], res['peaks'])
    return MemoryFit(fixed=fixed, per_image=per_image,
                     batches=tuple(res['batches']),
                     peaks=tuple(res['peaks']), device=str(device),
                     amp=uses_amp(cfg), seconds=time.perf_counter() - t,
                     iter_seconds=tuple(res['seconds']))


def estimate_modes(cfg, modes, batch, batches=DEFAULT_BATCHES, device='cpu',
                   threads=None, checks=(), precision='fp32'):
    """:func:`estimate_search_memory` of the config in each ablation mode of
    ``modes`` (the config's ablation mode is left at the last one), with the
    peak predicted at ``batch`` and, for each batch of ``checks``, the peak
    measured in a fresh process against the prediction: one dict a mode."""
    rows = []
    for mode in modes:
        set_ablation_mode(cfg.model, mode)
        fit = estimate_search_memory(cfg, batches=batches, device=device,
                                     threads=threads)
        row = dict(mode=mode, precision=precision, device=device,
                   batch=batch, predicted=fit.predict(batch),
                   fit=fit.to_dict(), checks=[])
        for b in checks:
            res = measure_search_peaks(cfg, [b], device=device,
                                       threads=threads)
            measured = res['peaks'][0]
            row['checks'].append(dict(
                batch=b, predicted=fit.predict(b), measured=measured,
                error=(fit.predict(b) - measured) / measured))
        rows.append(row)
    return rows
