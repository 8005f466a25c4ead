"""Time one architecture step of the search supernet and measure its peak
memory, per ablation mode, on the same supernet and batch.

Modes: ``weight`` (a plain training step: CE backward into the weights, the
yardstick), ``none`` (FairDARTS: CE + zero-one), ``reference`` (ablation
contributions under no_grad, logged only) and ``exact`` (differentiable
ablation loss). Opt-in (``--modes``): ``none-2nd`` / ``exact-2nd`` (the
same with DARTS' second-order unrolled step, on a second batch of the same
size as the weights' batch) and ``shapley-k<K>`` (the exact ablation
gradient with Monte-Carlo Shapley contributions over K permutations, e.g.
``shapley-k1 shapley-k2 shapley-k4``).
The table also gives the cost of a search *iteration* (this step plus one
weight step, when ``weight`` is measured) relative to the first-order
leave-one-out step it replaces (``x-2nd`` -> ``x``, ``shapley-k*`` ->
``exact``). Each mode runs in its own subprocess so peak memory is its
own. Peak memory is the peak of the bytes held by live tensors during a
step, relative to what was live before it: ``torch.cuda.max_memory_allocated``
on GPU; on CPU the same quantity measured by
:class:`mmddarts.profiling.live_memory.LiveMemory` over one extra step after
the timed ones (it is not timed: the tracking costs Python time per op).
On CPU the peak RSS growth (``ru_maxrss`` minus the RSS before the first
step) is reported too; it also counts freed blocks glibc kept mapped, so
it overstates a step that frees a large graph before allocating again.

Example::

    python tools/analysis_tools/benchmark_arch_step.py --cells 8 --C 16 \
        --batch 16 --img 32 --device cuda
"""
import argparse
import json
import os
import subprocess
import sys

from mmddarts.analysis.arch_step_bench import (ALL_MODES, MODES, child_failure,
                                               measure_arch_step, print_table)
from mmddarts.utils.cli_args import add_supernet_size_args


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_supernet_size_args(p, cells=8, C=16, batch=16, img=32)
    p.add_argument('--classes', type=int, default=10)
    p.add_argument('--op-set', default='darts', choices=['darts', 'extended'])
    p.add_argument('--device', default='cpu')
    p.add_argument('--threads', type=int, default=0,
                   help='torch intra-op threads on CPU (0: torch default)')
    p.add_argument('--warmup', type=int, default=1)
    p.add_argument('--repeat', type=int, default=3)
    p.add_argument('--modes', nargs='+', default=list(MODES),
                   choices=ALL_MODES)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--ablation-chunk', type=int, default=None,
                   help='ablations per batched pass (DDartsSupernet '
                   'ablation_cfg.chunk); default: the supernet default')
    p.add_argument('--ablation-checkpoint', type=int, choices=(0, 1),
                   default=None,
                   help='DDartsSupernet ablation_cfg.checkpoint')
    p.add_argument('--ablation-defaults', choices=('cuda', 'cpu'),
                   default=None,
                   help='DDartsSupernet ablation_cfg.defaults: run the '
                   'ablations as that device kind would (default: the '
                   '--device\'s own)')
    p.add_argument('--json', help='also write the results to this file')
    p.add_argument('--child', choices=ALL_MODES, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def run_child(args):
    """The measuring child: one JSON line on stdout."""
    print(json.dumps(measure_arch_step(args)))


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        return run_child(args)
    base_cmd = [sys.executable, os.path.abspath(__file__)] + [
        a for a in (argv if argv is not None else sys.argv[1:])]
    rows = []
    for mode in args.modes:
        out = subprocess.run(base_cmd + ['--child', mode],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(child_failure(mode, out, args.device))
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print_table(rows, args)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(args=vars(args), results=rows), f, indent=2)
    return rows


if __name__ == '__main__':
    main()
