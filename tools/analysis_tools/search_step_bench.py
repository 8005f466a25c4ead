"""Seconds per full search iteration (architecture + weight step, both
optimizer steps) per ablation mode and precision, with peak memory.

    python tools/analysis_tools/search_step_bench.py \
        configs/search/ddarts_c10.py --device cuda --batch 128 --iters 24 \
        --modes none reference exact --precisions fp32 fp16 bf16 \
        --json out.json

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
import json
import sys

from mmddarts.utils.cli_args import add_measure_args

PRECISIONS = ('fp32', 'fp16', 'bf16')


def parse_args(argv=None):
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
                   choices=PRECISIONS)
    add_measure_args(p)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from mmengine.config import Config

    from mmddarts.analysis.search_step import time_search_steps
    from mmddarts.setup_env import register_all_modules
    from mmddarts.utils.config_utils import apply_cfg_options
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(args.config)
    apply_cfg_options(cfg, args.cfg_options)
    results = []
    for precision in args.precisions:
        for mode in args.modes:
            try:
                res = time_search_steps(
                    cfg, mode, precision, args.device, args.batch, args.img,
                    args.iters, args.warmup, args.seed)
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
