"""Time one architecture step of the search supernet and measure its peak
memory, per ablation mode, on the same supernet and batch (the measurements
behind ``tools/analysis_tools/benchmark_arch_step.py``, which documents the
modes and what "peak memory" means on each device).
"""
import re
import resource
import statistics
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


def measure_arch_step(args):
    """Median seconds and peak memory of one step of ``args.child`` (a mode
    of :data:`ALL_MODES`) on the supernet and batch ``args`` describe (the
    namespace of ``tools/analysis_tools/benchmark_arch_step.py``), as the
    dict its measuring child prints."""
    # imported here: the parent process of the tool only reads the table
    import torch
    import torch.nn.functional as F

    from mmddarts.memory.budget import rss_bytes
    from mmddarts.models.search import DDartsSupernet
    from mmddarts.models.search.shapley import shapley_arch_step_grads
    from mmddarts.models.search.unrolled import unrolled_arch_step_grads
    from mmddarts.profiling.live_memory import LiveMemory

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
        kwargs['num_permutations'] = int(mode[len('shapley-k'):])

        def arch(inputs, targets):
            return shapley_arch_step_grads(net, inputs, targets, **kwargs)
    elif mode.endswith('-2nd'):

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
        base = rss_bytes() or 0
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
        rss = peak
        with LiveMemory() as mem:
            step()
        peak = mem.peak
    return dict(mode=args.child, time_s=statistics.median(times),
                times=times, peak_mem_bytes=peak, peak_rss_bytes=rss,
                device=str(device))


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


def print_table(rows, args):
    """The comparison table of the measured ``rows`` (one per mode); adds
    ``iter_s`` and ``iter_vs_first_order_loo`` to each row."""
    rows = list(rows)
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
