"""Seconds per full search iteration (architecture + weight step, both
optimizer steps) per ablation mode and precision, with peak memory.

    python tools/analysis_tools/search_step_bench.py \
        configs/search/ddarts_c10.py --device cuda --batch 128 --iters 24 \
        --modes none reference exact --precisions fp32 fp16 bf16 --json out.json

The supernet, losses and optimizers come from the config (``--cfg-options``
applies); inputs are random uint8 images of the config's size on the
device, so data loading is not timed. AMP runs build mmengine's
``AmpOptimWrapper`` exactly as ``tools/train.py --amp`` does, with the
member ``dtype`` set. Reported per run: s/iter (mean over ``--iters`` after
``--warmup``), images/s (the two batches of one iteration), peak
``torch.cuda.max_memory_allocated`` (CUDA; on CPU the process' peak RSS,
which only grows over runs), whether every logged loss was finite, and
overflow-skipped steps (iterations in which a wrapper's loss scale fell).
fp16/bf16 need a GPU (mmengine builds AMP wrappers on accelerators only).
"""
import argparse
import copy
import importlib.util
import json
import math
import os.path as osp
import resource
import sys
import time

PRECISIONS = dict(fp32=None, fp16='float16', bf16='bfloat16')
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    from mmengine.config import DictAction
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('--device', default='cuda')
    p.add_argument('--batch', type=int, default=128)
    p.add_argument('--img', type=int, default=32)
    p.add_argument('--iters', type=int, default=24)
    p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--modes', nargs='+', default=['none', 'reference',
                                                    'exact'])
    p.add_argument('--precisions', nargs='+', default=list(PRECISIONS),
                   choices=list(PRECISIONS))
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--json', help='also write the results here')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    return p.parse_args(argv)


def _train_tool():
    spec = importlib.util.spec_from_file_location(
        '_train_tool', osp.join(ROOT, 'tools', 'train.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def make_batch(n, img, classes, gen):
    import torch
    from mmpretrain.structures import DataSample
    imgs = torch.randint(0, 256, (n, 3, img, img), dtype=torch.uint8,
                         generator=gen)
    labels = torch.randint(0, classes, (n, ), generator=gen)
    return dict(inputs=list(imgs), data_samples=[
        DataSample().set_gt_label(int(y)) for y in labels])


def _scales(wrappers):
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
    import torch
    from mmengine.optim import build_optim_wrapper

    from mmddarts.registry import MODELS
    from mmddarts.utils.search_cfg import set_ablation_mode
    torch.manual_seed(seed)
    model_cfg = copy.deepcopy(cfg.model)
    set_ablation_mode(model_cfg, mode)
    model_cfg['architecture'].update(architecture or {})
    if 'data_preprocessor' in cfg and 'data_preprocessor' not in model_cfg:
        model_cfg['data_preprocessor'] = cfg.data_preprocessor
    model = MODELS.build(model_cfg).to(device)
    ow = copy.deepcopy(cfg.optim_wrapper)
    if PRECISIONS[precision] is not None:
        _train_tool()._set_amp(ow)
        for member in ('architecture', 'weights'):
            ow[member]['dtype'] = PRECISIONS[precision]
    wrappers = build_optim_wrapper(model, ow)
    classes = model_cfg['architecture']['num_classes']
    gen = torch.Generator().manual_seed(seed)
    data = dict(weights=make_batch(batch, img, classes, gen),
                arch=make_batch(batch, img, classes, gen))
    return model, wrappers, data


def run_one(cfg, mode, precision, args):
    import torch
    model, wrappers, data = build_search(
        cfg, mode, args.device, precision, args.seed, args.batch, args.img)
    cuda = args.device.startswith('cuda')
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    if cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    finite, skipped, times = True, 0, []
    for it in range(args.warmup + args.iters):
        before = _scales(wrappers)
        sync()
        t0 = time.perf_counter()
        logs = model.train_step(data, wrappers)
        sync()
        if it >= args.warmup:
            times.append(time.perf_counter() - t0)
        after = _scales(wrappers)
        skipped += any(b is not None and after[k] < b
                       for k, b in before.items())
        finite &= all(math.isfinite(float(v)) for k, v in logs.items()
                      if k.startswith('loss') and torch.is_tensor(v)
                      and v.numel() == 1)
    peak = (torch.cuda.max_memory_allocated() if cuda else
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    s_iter = sum(times) / len(times)
    return dict(mode=mode, precision=precision, batch=args.batch,
                s_per_iter=s_iter, images_per_s=2 * args.batch / s_iter,
                peak_mem_gib=peak / 2**30, finite=bool(finite),
                overflow_skipped=int(skipped), iters=args.iters)


def main(argv=None):
    args = parse_args(argv)
    sys.path.insert(0, ROOT)
    from mmengine.config import Config

    from mmddarts.utils import register_all_modules
    from mmddarts.utils.config_utils import apply_cfg_options
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(args.config)
    apply_cfg_options(cfg, args.cfg_options)
    results = []
    for precision in args.precisions:
        for mode in args.modes:
            try:
                res = run_one(cfg, mode, precision, args)
            except Exception as err:  # noqa: BLE001 (reported per run)
                res = dict(mode=mode, precision=precision, batch=args.batch,
                           error=f'{type(err).__name__}: {err}'[:500])
            results.append(res)
            if 'error' in res:
                print(f'{precision:5s} {mode:9s} FAILED {res["error"]}')
            else:
                print(f'{precision:5s} {mode:9s} {res["s_per_iter"]:.4f} '
                      f's/iter  {res["images_per_s"]:8.1f} img/s  peak '
                      f'{res["peak_mem_gib"]:.2f} GiB  finite '
                      f'{res["finite"]}  skipped {res["overflow_skipped"]}',
                      flush=True)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=1)
    return 1 if any('error' in r for r in results) else 0


if __name__ == '__main__':
    sys.exit(main())
