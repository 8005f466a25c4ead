"""Estimate the peak memory of a search before running it.

Measures one full search iteration (architecture step in the config's
ablation mode + weight step + both optimizer steps) at two small batch sizes
in a child process, fits ``peak(B) = fixed + per_image * B`` and prints the
predicted peak at the config's batch (or ``--batch``) and the largest batch
that fits the available memory (or ``--budget``), with the margin of the
preflight check in tools/train.py.

    python tools/analysis_tools/estimate_memory.py CONFIG [--batch N]
        [--device cpu|cuda] [--amp] [--budget 8GB] [--batches 2 4]
        [--modes exact reference none] [--check 8] [--json OUT]

``--modes`` repeats the estimate for other ablation modes of the same
supernet; ``--check B`` also measures batch B in a fresh process and prints
the prediction error (peaks are memory above the process's starting point:
RSS on CPU, the caching allocator's reserved memory on CUDA).
"""
import argparse
import json
import os
import os.path as osp

from mmengine.config import Config, DictAction

from mmddarts.engine.optimizers.amp_options import has_accelerator, set_amp
from mmddarts.memory.budget import device_budget, fmt_bytes, parse_size
from mmddarts.memory.estimate import (MemoryFit, estimate_modes,
                                      search_batch_size)
from mmddarts.memory.preflight import DEFAULTS
from mmddarts.setup_env import register_all_modules
from mmddarts.utils.config_utils import apply_cfg_options
from mmddarts.utils.search_cfg import get_objective


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('--batch', type=int,
                   help='batch to predict (default: the config\'s)')
    p.add_argument('--device', default='cpu',
                   help='cpu | cuda | cuda:N (default cpu)')
    p.add_argument('--amp', action='store_true',
                   help='mixed precision (as tools/train.py --amp; GPU)')
    p.add_argument('--budget',
                   help='memory to fit in, e.g. 24GB (default: what this '
                   'machine has available now)')
    p.add_argument('--margin', type=float, default=DEFAULTS['margin'],
                   help='share of the budget kept free (default %(default)s)')
    p.add_argument('--batches', type=int, nargs=2,
                   default=list(DEFAULTS['batches']),
                   help='the two measured batch sizes (default %(default)s)')
    p.add_argument('--modes', nargs='+',
                   choices=['exact', 'reference', 'none'],
                   help='ablation modes to estimate (default: the config\'s)')
    p.add_argument('--check', type=int, nargs='*', default=[],
                   help='also measure these batches and compare')
    p.add_argument('--threads', type=int,
                   help='torch intra-op threads (default: torch\'s)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    p.add_argument('--json', help='write the results to this file')
    args = p.parse_args(argv)
    return args


def main(argv=None):
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    apply_cfg_options(cfg, args.cfg_options)
    if args.amp:
        if not has_accelerator():
            raise SystemExit('Error: --amp needs a GPU')
        set_amp(cfg.optim_wrapper)
    device = args.device
    if device == 'cuda':
        device = 'cuda:0'
    batch = args.batch or search_batch_size(cfg)
    modes = args.modes or [get_objective(cfg.model, 'ablation', 'exact')]
    precision = 'AMP' if args.amp else 'fp32'
    rows = estimate_modes(cfg, modes, batch, args.batches, device,
                          args.threads, args.check, precision)
    # budget read after the measurements (CUDA: the child needs a
    # context-free parent)
    info = device_budget(device)
    budget = parse_size(args.budget) if args.budget else info['budget']
    print(f'{osp.basename(args.config)}: batch {batch}, device {device}, '
          f'{precision}; peak = memory above the process start')
    for row in rows:
        f = MemoryFit(**row['fit'])
        best = f.largest_batch(budget, args.margin) if budget else None
        row.update(budget=budget, largest_batch=best)
        print(f'[{row["mode"]}] model {f.describe()}; measured in '
              f'{f.seconds:.1f} s')
        print(f'[{row["mode"]}] predicted peak at batch {batch}: '
              f'{fmt_bytes(row["predicted"])}')
        for c in row['checks']:
            print(f'[{row["mode"]}] check batch {c["batch"]}: predicted '
                  f'{fmt_bytes(c["predicted"])}, measured '
                  f'{fmt_bytes(c["measured"])} ({c["error"]:+.1%})')
        if budget:
            print(f'[{row["mode"]}] largest batch within {fmt_bytes(budget)}'
                  f' minus {args.margin:.0%} margin: {best}')
    if args.json:
        os.makedirs(osp.dirname(osp.abspath(args.json)), exist_ok=True)
        with open(args.json, 'w') as fobj:
            json.dump(dict(config=args.config, budget_sources=info,
                           rows=rows), fobj, indent=2)
    return rows


if __name__ == '__main__':
    main()
