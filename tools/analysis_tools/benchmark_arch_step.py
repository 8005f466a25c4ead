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
:class:`mmddarts.utils.live_memory.LiveMemory` over one extra step after
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
import re
import resource
import statistics
import subprocess
import sys
import time

MODES = ('weight', 'none', 'reference', 'exact')
EXTRA_MODES = ('none-2nd', 'exact-2nd', 'shapley-k1', 'shapley-k2',
               'shapley-k4', 'shapley-k8')
ALL_MODES = MODES + EXTRA_MODES


def baseline_of(mode):
    """The first-order leave-one-out step a mode replaces (or None)."""
    if mode.endswith('-2nd'):
        return mode[:-4]
    if mode.startswith('shapley-k'):
        return 'exact'
    return None


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--cells', type=int, default=8)
    p.add_argument('--C', type=int, default=16)
    p.add_argument('--batch', type=int, default=16)
    p.add_argument('--img', type=int, default=32)
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


def _rss_bytes():
    """Current resident set size (Linux /proc; 0 elsewhere)."""
    try:
        with open('/proc/self/statm') as f:
            return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
    except OSError:
        return 0


def run_child(args):
    import torch
    import torch.nn.functional as F

    try:
        from mmddarts.models.search import DDartsSupernet
    except ImportError:  # run from a source checkout without installing
        sys.path.insert(0, os.path.dirname(os.path.dirname(
            os.path.dirname(os.path.abspath(__file__)))))
        from mmddarts.models.search import DDartsSupernet

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    cuda = device.type == 'cuda'
    torch.manual_seed(args.seed)
    abl_cfg = {} if args.ablation_chunk is None else dict(
        chunk=args.ablation_chunk)
    if args.ablation_checkpoint is not None:
        abl_cfg['checkpoint'] = bool(args.ablation_checkpoint)
    if args.ablation_defaults is not None:
        abl_cfg['defaults'] = args.ablation_defaults
    net = DDartsSupernet(num_classes=args.classes, channels=args.C,
                         num_cells=args.cells, op_set=args.op_set,
                         ablation_cfg=abl_cfg).to(device).train()
    g = torch.Generator(device=device).manual_seed(args.seed)
    x = torch.randn(args.batch, 3, args.img, args.img, device=device,
                    generator=g)
    y = torch.randint(0, args.classes, (args.batch, ), device=device,
                      generator=g)
    x_t = torch.randn(args.batch, 3, args.img, args.img, device=device,
                      generator=g)
    y_t = torch.randint(0, args.classes, (args.batch, ), device=device,
                        generator=g)
    mode = args.child
    kwargs = dict(w01=7.0, w_abl=0.5, generator=g)
    if mode.startswith('shapley-k'):
        from mmddarts.models.search.shapley import shapley_arch_step_grads
        kwargs['num_permutations'] = int(mode[len('shapley-k'):])

        def arch(inputs, targets):
            return shapley_arch_step_grads(net, inputs, targets, **kwargs)
    elif mode.endswith('-2nd'):
        from mmddarts.models.search.unrolled import unrolled_arch_step_grads

        # DARTS' values: xi = lr 0.025, momentum 0.9, weight decay 3e-4
        def arch(inputs, targets):
            return unrolled_arch_step_grads(
                net, inputs, targets, x_t, y_t, lr=0.025, momentum=0.9,
                weight_decay=3e-4, ablation=mode[:-4], **kwargs)
    elif mode != 'weight':
        def arch(inputs, targets):
            return net.arch_step_grads(inputs, targets, ablation=mode,
                                       **kwargs)

    def step():
        if mode == 'weight':
            loss = F.cross_entropy(net(x), y)
            loss.backward()
        else:
            arch(x, y)
        net.zero_grad(set_to_none=True)

    def sync():
        if cuda:
            torch.cuda.synchronize(device)

    if cuda:
        sync()
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
    else:
        base = _rss_bytes()
    times = []
    for i in range(args.warmup + args.repeat):
        sync()
        t = time.perf_counter()
        step()
        sync()
        if i >= args.warmup:
            times.append(time.perf_counter() - t)
    if cuda:
        peak = torch.cuda.max_memory_allocated(device) - base
    else:
        # ru_maxrss is in KiB on Linux
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 \
            - base
    rss = None
    if not cuda:
        from mmddarts.utils.live_memory import LiveMemory
        rss = peak
        with LiveMemory() as mem:
            step()
        peak = mem.peak
    print(json.dumps(dict(mode=args.child, time_s=statistics.median(times),
                          times=times, peak_mem_bytes=peak,
                          peak_rss_bytes=rss, device=str(device))))


def child_failure(mode, proc, device):
    """One line for a failed child: its own last error line (the
    exception), not the parent's CalledProcessError."""
    lines = [ln.strip() for ln in (proc.stderr or '').splitlines()
             if ln.strip()]
    # the exception line (CUDA errors add hints after it), else the last
    errors = [ln for ln in lines if re.match(
        r'^[A-Za-z_][\w.]*(Error|Exception)\b', ln)]
    if errors:
        reason = errors[-1]
    elif lines:
        reason = lines[-1]
    else:
        reason = ('no error output (stdout: '
                  f'{(proc.stdout or "").strip()[-200:]!r})')
    return (f'benchmark_arch_step: mode {mode!r} on device {device!r} '
            f'failed (exit code {proc.returncode}): {reason}')


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
    by_mode = {r['mode']: r for r in rows}
    ref = by_mode.get('weight')
    print(f'supernet: {args.cells} cells, C={args.C}, op_set={args.op_set}, '
          f'batch {args.batch}x3x{args.img}x{args.img}, device '
          f'{rows[0]["device"]}, median of {args.repeat}')
    rss = all(r.get('peak_rss_bytes') is not None for r in rows)
    print(f'{"mode":<11} {"time (s)":>9} {"x weight":>9} '
          f'{"peak mem (MiB)":>15} {"x weight":>9} {"iter (s)":>9} '
          f'{"x 1st/loo":>10}' +
          (f' {"peak RSS (MiB)":>15} {"x weight":>9}' if rss else ''))
    for r in rows:
        rt = r['time_s'] / ref['time_s'] if ref else float('nan')
        rm = (r['peak_mem_bytes'] / ref['peak_mem_bytes']
              if ref and ref['peak_mem_bytes'] > 0 else float('nan'))
        # a search iteration: this architecture step + one weight step
        it = r['time_s'] + ref['time_s'] \
            if ref and r['mode'] != 'weight' else float('nan')
        base = by_mode.get(baseline_of(r['mode']) or '')
        rel = it / (base['time_s'] + ref['time_s']) \
            if base and ref else float('nan')
        r.update(iter_s=it, iter_vs_first_order_loo=rel)
        line = (f'{r["mode"]:<11} {r["time_s"]:>9.3f} {rt:>9.2f} '
                f'{r["peak_mem_bytes"] / 2**20:>15.1f} {rm:>9.2f} '
                f'{it:>9.3f} {rel:>10.2f}')
        if rss:
            rr = (r['peak_rss_bytes'] / ref['peak_rss_bytes']
                  if ref and ref['peak_rss_bytes'] > 0 else float('nan'))
            line += f' {r["peak_rss_bytes"] / 2**20:>15.1f} {rr:>9.2f}'
        print(line)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(args=vars(args), results=rows), f, indent=2)
    return rows


if __name__ == '__main__':
    main()
