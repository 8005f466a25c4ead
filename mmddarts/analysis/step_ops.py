"""Count the aten ops and host syncs of one full search iteration on the CPU
(:class:`mmddarts.profiling.op_counter.OpCounter` over the model that
:func:`mmddarts.analysis.search_step.build_search` builds from a config).
``tools/analysis_tools/count_step_ops.py`` documents what is counted and
why; ``tests/test_models/test_step_op_budget.py`` holds the budgets.
"""
import time

from mmddarts.profiling.op_counter import DEFAULT_PHASE, OpCounter
from mmddarts.utils.cli_inputs import load_config
from mmddarts.utils.config_utils import apply_cfg_options
from mmddarts.utils.search_cfg import width_key
from .search_step import build_search

PHASES = ('arch_step', 'weight_step')


def _summary(ops, syncs):
    return dict(ops=sum(ops.values()), syncs=sum(syncs.values()),
                sync_kinds=dict(sorted(syncs.items())))


def count_iteration(cfg, mode, C=4, batch=2, img=16, seed=0, top=15,
                    sync_sites=False, cpu_path=False):
    """Counts of one full search iteration (after a warm-up one) of the
    config's search model in ablation ``mode`` on the CPU: a dict with
    ``ops``, ``syncs``, ``sync_kinds``, ``phases`` (``arch_step``,
    ``weight_step``, ``other``: each ``ops``/``syncs``/``sync_kinds``),
    ``top`` (``[op, count]`` pairs), ``seconds`` (the counted
    iteration's wall time, dispatch overhead included) and, with
    ``sync_sites``, ``sync_sites`` (``{'file:line (function)': count}``).
    ``cpu_path``: where the step picks a path by device, take the CPU's
    (default: the CUDA one, see the module docstring)."""
    arch = cfg.model['architecture']
    over = {width_key(arch): C}
    kind = 'cpu' if cpu_path else 'cuda'
    if 'ablation_defaults' in arch:  # a d025874-style config
        if arch['ablation_defaults'] is None:
            over['ablation_defaults'] = kind
    elif (arch.get('ablation_cfg') or {}).get('defaults') is None:
        over['ablation_cfg'] = dict(arch.get('ablation_cfg') or {},
                                    defaults=kind)
    model, wrappers, data = build_search(
        cfg, mode, 'cpu', 'fp32', seed, batch, img, architecture=over)
    counter = OpCounter(trace_syncs=sync_sites, track_host=True)

    def in_phase(name, step):
        def wrapped(*args, **kwargs):
            with counter.phase(name):
                return step(*args, **kwargs)
        return wrapped

    for name in PHASES:  # instance attributes shadow the bound methods
        setattr(model, name, in_phase(name, getattr(model, name)))
    model.train_step(data, wrappers)  # warm-up: optimizer states exist
    # torch.optim's step counters stay on the host in a GPU run
    counter.host.mark_optimizer_steps(
        w.optimizer for w in wrappers.values())
    try:
        with counter:
            t0 = time.perf_counter()
            model.train_step(data, wrappers)
            seconds = time.perf_counter() - t0
    finally:
        for name in PHASES:
            delattr(model, name)
    res = _summary(counter.by_name, counter.sync_names)
    res['phases'] = {
        name: _summary(counter.by_phase.get(name, {}),
                       counter.syncs_by_phase.get(name, {}))
        for name in PHASES + (DEFAULT_PHASE, )}
    res['host_reads'] = sum(counter.host_reads.values())
    res['top'] = [list(kv) for kv in counter.top(top)]
    res['seconds'] = seconds
    if sync_sites:
        res['sync_sites'] = dict(counter.sync_sites.most_common())
        res['host_read_sites'] = dict(counter.host_read_sites.most_common())
    return res


def format_result(mode, res):
    def syncs(s):
        kinds = ', '.join(f'{k.replace("aten.", "")} {v}'
                          for k, v in s['sync_kinds'].items())
        return f'{s["syncs"]} host syncs' + (f' ({kinds})' if kinds else '')

    lines = [f'{mode}: {res["ops"]:,} aten compute ops, {syncs(res)}, '
             f'{res["host_reads"]} host-only scalar reads']
    for name, s in res['phases'].items():
        lines.append(f'  {name:12s} {s["ops"]:>8,} ops  {syncs(s)}')
    lines.append('  top ops: ' + ', '.join(
        f'{k.replace("aten.", "")} {v:,}' for k, v in res['top']))
    for site, n in res.get('sync_sites', {}).items():
        lines.append(f'  sync x{n}: {site}')
    for site, n in res.get('host_read_sites', {}).items():
        lines.append(f'  host-only read x{n}: {site}')
    return '\n'.join(lines)


def load_search_config(path, cfg_options=None):
    """The config at ``path`` (``--cfg-options`` applied); exits with one
    line naming it when it is missing or not a search config."""
    cfg = load_config(path, required=('model', 'optim_wrapper'))
    apply_cfg_options(cfg, cfg_options)
    if not isinstance(cfg.model.get('architecture'), dict) or not all(
            k in cfg.optim_wrapper for k in ('architecture', 'weights')):
        raise SystemExit(
            f'error: {path}: not a search config (needs model.architecture '
            'and optim_wrapper.architecture / .weights, as '
            'configs/search/*.py)')
    return cfg
