"""One full search iteration (architecture + weight step, both optimizer
steps) built from a search config, for benchmarks and op counts.

The supernet, losses and optimizers come from the config; inputs are random
uint8 images (:func:`mmddarts.datasets.search_batch.random_search_batch`),
so data loading is not part of what is measured. AMP runs build mmengine's
``AmpOptimWrapper`` exactly as ``tools/train.py --amp`` does
(:func:`mmddarts.engine.optimizers.amp_options.set_amp`), with the member
``dtype`` set.
"""
import copy
import math
import resource
import time

import torch
from mmengine.optim import build_optim_wrapper

from mmddarts.datasets.search_batch import random_search_batch
from mmddarts.engine.optimizers.amp_options import set_amp
from mmddarts.registry import MODELS
from mmddarts.utils.search_cfg import set_ablation_mode

PRECISIONS = dict(fp32=None, fp16='float16', bf16='bfloat16')


def loss_scales(wrappers):
    out = {}
    for name, w in wrappers.items():
        scaler = getattr(w, 'loss_scaler', None)
        out[name] = float(scaler.get_scale()) if scaler is not None and \
            scaler.is_enabled() else None
    return out


def build_search(cfg, mode, device='cpu', precision='fp32', seed=0,
                 batch=2, img=32, architecture=None):
    """The config's search model in ablation ``mode`` on ``device``, its
    optimizer wrappers (AMP ones for fp16/bf16) and one random two-half
    batch: ``(model, wrappers, data)``. ``architecture``: overrides merged
    into ``model.architecture`` (e.g. ``dict(channels=4)``)."""
    torch.manual_seed(seed)
    model_cfg = copy.deepcopy(cfg.model)
    set_ablation_mode(model_cfg, mode)
    model_cfg['architecture'].update(architecture or {})
    if 'data_preprocessor' in cfg and 'data_preprocessor' not in model_cfg:
        model_cfg['data_preprocessor'] = cfg.data_preprocessor
    model = MODELS.build(model_cfg).to(device)
    ow = copy.deepcopy(cfg.optim_wrapper)
    if PRECISIONS[precision] is not None:
        set_amp(ow)
        for member in ('architecture', 'weights'):
            ow[member]['dtype'] = PRECISIONS[precision]
    wrappers = build_optim_wrapper(model, ow)
    classes = model_cfg['architecture']['num_classes']
    gen = torch.Generator().manual_seed(seed)
    data = dict(
        weights=random_search_batch(batch, (3, img, img), classes, gen),
        arch=random_search_batch(batch, (3, img, img), classes, gen))
    return model, wrappers, data


def time_search_steps(cfg, mode, precision, device='cuda', batch=128, img=32,
                      iters=24, warmup=3, seed=0):
    """Seconds per full search iteration of the config's model in ablation
    ``mode`` and ``precision`` (mean over ``iters`` after ``warmup``), with
    images/s, peak memory, whether every logged loss was finite and the
    overflow-skipped steps, as a dict."""
    model, wrappers, data = build_search(cfg, mode, device, precision, seed,
                                         batch, img)
    cuda = device.startswith('cuda')
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    if cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    finite, skipped, times = True, 0, []
    for it in range(warmup + iters):
        before = loss_scales(wrappers)
        sync()
        t0 = time.perf_counter()
        logs = model.train_step(data, wrappers)
        sync()
        if it >= warmup:
            times.append(time.perf_counter() - t0)
        after = loss_scales(wrappers)
        skipped += any(b is not None and after[k] < b
                       for k, b in before.items())
        finite &= all(math.isfinite(float(v)) for k, v in logs.items()
                      if k.startswith('loss') and torch.is_tensor(v)
                      and v.numel() == 1)
    peak = (torch.cuda.max_memory_allocated() if cuda else
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    s_iter = sum(times) / len(times)
    return dict(mode=mode, precision=precision, batch=batch,
                s_per_iter=s_iter, images_per_s=2 * batch / s_iter,
                peak_mem_gib=peak / 2**30, finite=bool(finite),
                overflow_skipped=int(skipped), iters=iters)
