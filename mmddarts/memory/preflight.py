"""Preflight memory check and automatic batch size for search configs.

``tools/train.py`` calls :func:`run_preflight` after reading the config and
before building the Runner (so before any data loader or worker exists).
For a search or DARTOpti config (``SearchEpochBasedTrainLoop`` or a
``DDartsSearch`` model) it

1. measures the peak memory of one search iteration at two small batches
   in a child process and fits ``fixed + per_image * B``
   (:mod:`mmddarts.memory.estimate`; seconds for the CIFAR configs on
   CPU, nothing in this process's random streams is touched);
2. reads the budget: CUDA free memory, or ``MemAvailable`` capped by the
   cgroup limits on CPU (shared by the ranks of this node), capped by
   ``preflight.budget`` if given;
3. stops with the estimate, the budget and the ordered fixes when the
   configured batch does not fit within ``budget * (1 - margin)``; with
   ``--auto-batch`` (or ``preflight.auto_batch=True``) it sets both search
   loaders to the largest batch that fits (a multiple of 8 when >= 8)
   and turns on mmengine's ``auto_scale_lr`` from the config's base batch.

Under DDP every rank reads its own budget, rank 0 measures and decides with
the smallest budget, and broadcasts the decision: all ranks agree.

Config key (defaults shown)::

    preflight = dict(enable=True, auto_batch=False, margin=0.1, multiple=8,
                     batches=(2, 4), budget=None, max_batch=None,
                     input_shape=None, fit=None, timeout=600)

``budget``: a cap such as ``'8GB'`` (e.g. to leave room for other jobs);
``fit=dict(fixed='700MB', per_image='180MB')`` skips the measurement and
uses numbers ``tools/analysis_tools/estimate_memory.py`` printed;
``preflight=False`` is the same as ``--no-preflight``.
"""
import json
import os
import os.path as osp
import time

from mmddarts.utils.search_cfg import get_objective

from .advice import format_fixes, memory_fixes
from .budget import device_budget, fmt_bytes, parse_size, rss_bytes
from .estimate import (DEFAULT_BATCHES, MeasurementDied, MeasurementError,
                       MemoryFit, estimate_search_memory, search_batch_size,
                       uses_amp)

DEFAULTS = dict(enable=True, auto_batch=False, margin=0.1, multiple=8,
                batches=DEFAULT_BATCHES, budget=None, max_batch=None,
                input_shape=None, fit=None, timeout=600)


def add_preflight_args(parser):
    """``--no-preflight`` and ``--auto-batch`` for tools/train.py."""
    parser.add_argument(
        '--no-preflight', action='store_true',
        help='search configs: skip the memory check before training')
    parser.add_argument(
        '--auto-batch', action='store_true',
        help='search configs: use the largest batch that fits in memory '
        '(multiple of 8) and scale the learning rates from '
        'auto_scale_lr.base_batch_size')
    return parser


def is_search_config(cfg) -> bool:
    loop = str((cfg.get('train_cfg', None) or {}).get('type', ''))
    model = str((cfg.get('model', None) or {}).get('type', ''))
    return loop.endswith('SearchEpochBasedTrainLoop') or \
        model.endswith('DDartsSearch')


def preflight_settings(cfg, no_preflight=False, auto_batch=False) -> dict:
    raw = cfg.get('preflight', None)
    settings = dict(DEFAULTS)
    if isinstance(raw, bool):
        settings['enable'] = raw
    elif raw is not None:
        unknown = set(raw) - set(DEFAULTS)
        if unknown:
            raise SystemExit(f'Error: unknown preflight keys {sorted(unknown)}'
                             f' in the config; known: {sorted(DEFAULTS)}')
        settings.update(dict(raw))
    if no_preflight:
        settings['enable'] = False
    if auto_batch:
        settings['auto_batch'] = True
    if settings['auto_batch'] and not settings['enable']:
        raise SystemExit('Error: --auto-batch needs the preflight memory '
                         'check: drop --no-preflight / preflight.enable=False')
    return settings


def _device(cfg):
    import torch
    if not torch.cuda.is_available():
        return 'cpu'
    return f'cuda:{int(os.environ.get("LOCAL_RANK", 0))}'


def _ensure_dist(cfg):
    """Start the process group now (the Runner reuses it) so ranks can
    agree before the Runner exists."""
    from mmengine.dist import init_dist, is_distributed
    launcher = cfg.get('launcher', 'none') or 'none'
    if launcher == 'none' or is_distributed():
        return
    env = cfg.get('env_cfg', None) or {}
    init_dist(launcher, **dict(env.get('dist_cfg', None) or {}))


def _budget(device, settings):
    info = device_budget(device)
    budget = info['budget']
    local = int(os.environ.get('LOCAL_WORLD_SIZE', '1') or 1)
    if not device.startswith('cuda') and budget is not None and local > 1:
        budget //= local  # the ranks of this node share its memory
        info['shared_by_local_ranks'] = local
    if settings['budget'] is not None:
        cap = parse_size(settings['budget'])
        budget = cap if budget is None else min(budget, cap)
        info['config_cap'] = cap
    info['budget'] = budget
    return info


def _fit(cfg, settings, device):
    given = settings['fit']
    if given:
        return MemoryFit(fixed=parse_size(given['fixed']),
                         per_image=parse_size(given['per_image']),
                         device=device, amp=uses_amp(cfg))
    _log(f'preflight: measuring the memory of one search iteration at '
         f'batches {list(settings["batches"])} on {device} in a child '
         'process (seconds to minutes; skip with --no-preflight)...')
    return estimate_search_memory(cfg, batches=settings['batches'],
                                  device=device,
                                  input_shape=settings['input_shape'],
                                  timeout=settings['timeout'])


def _mode(cfg, amp, device):
    ablation = get_objective(cfg.get('model', None) or {}, 'ablation',
                             'exact')
    return f'{ablation} ablation, {"AMP" if amp else "fp32"}, {device}'


def decide(cfg, settings, fit, budget, device):
    """The preflight verdict as a plain dict (broadcast under DDP)."""
    amp = uses_amp(cfg)
    batch = search_batch_size(cfg)
    need = fit.predict(batch)
    margin = float(settings['margin'])
    usable = None if budget is None else budget * (1.0 - margin)
    best = None if budget is None else fit.largest_batch(
        budget, margin, int(settings['multiple']), settings['max_batch'])
    out = dict(batch=batch, need=need, budget=budget, usable=usable,
               margin=margin, fit=fit.to_dict(), device=device, amp=amp,
               mode=_mode(cfg, amp, device), best=best)
    if budget is None:
        out['action'] = 'unknown-budget'
    elif settings['auto_batch']:
        out['action'] = 'auto' if best and best >= 1 else 'refuse'
    else:
        out['action'] = 'ok' if need <= usable else 'refuse'
    return out


def refusal_message(cfg, d) -> str:
    fit = MemoryFit(**d['fit'])
    best = d['best']
    fixes = memory_fixes(
        cfg, d['device'], d['amp'], d['batch'], fitting_batch=best,
        fitting_peak=fit.predict(best) if best else None)
    how = fit.describe() if fit.batches else \
        f'{fmt_bytes(fit.fixed)} + {fmt_bytes(fit.per_image)} per image ' \
        '(preflight.fit of the config)'
    head = ('the search will not fit in memory' if d['action'] == 'refuse'
            and not d.get('auto') else 'no batch fits in memory')
    return (
        f'preflight: {head}.\n'
        f'  estimated peak of one search iteration at batch {d["batch"]} '
        f'({d["mode"]}): {fmt_bytes(d["need"])}\n'
        f'    model: {how}\n'
        f'  available: {fmt_bytes(d["budget"])}, of which '
        f'{fmt_bytes(d["usable"])} usable ({d["margin"]:.0%} kept for the '
        'data, workers and estimate error)\n'
        f'Fixes, in order:\n{format_fixes(fixes)}\n'
        'Skip this check with --no-preflight (or preflight=dict('
        'enable=False) in the config).')


def _log(msg, level='INFO'):
    import logging

    from mmengine.logging import print_log
    print_log(msg, logger='current', level=getattr(logging, level))


def _apply_auto_batch(cfg, d, world_size):
    batch = int(d['best'])
    original = d['batch']
    for key in ('train_dataloader', 'arch_dataloader'):
        if cfg.get(key, None) is not None:
            cfg[key]['batch_size'] = batch
    train_cfg = cfg.get('train_cfg', None) or {}
    if isinstance(train_cfg.get('arch_dataloader', None), dict):
        train_cfg['arch_dataloader']['batch_size'] = batch
    scale = cfg.get('auto_scale_lr', None) or {}
    base = scale.get('base_batch_size', None)
    if base is None:
        base = original * world_size
    cfg.auto_scale_lr = dict(scale, base_batch_size=base, enable=True)
    return base


def _write_report(cfg, d):
    work_dir = cfg.get('work_dir', None)
    if not work_dir:
        return
    os.makedirs(work_dir, exist_ok=True)
    with open(osp.join(work_dir, 'preflight.json'), 'w') as f:
        json.dump(d, f, indent=2, default=str)


def run_preflight(cfg, no_preflight=False, auto_batch=False):
    """Check (and with auto-batch adapt) ``cfg`` in place; SystemExit when
    the search does not fit. Returns the decision dict, or None when
    skipped."""
    if not is_search_config(cfg):
        if auto_batch:
            raise SystemExit('Error: --auto-batch works with search configs '
                             '(SearchEpochBasedTrainLoop / DDartsSearch)')
        return None
    settings = preflight_settings(cfg, no_preflight, auto_batch)
    if not settings['enable']:
        return None
    from mmengine.dist import (all_gather_object, broadcast_object_list,
                               get_rank, get_world_size)
    t0 = time.perf_counter()
    _ensure_dist(cfg)
    rank, world = get_rank(), get_world_size()
    device = _device(cfg)
    # CUDA: measure before this process reads its free memory (which
    # creates its CUDA context; a forked measuring child could not use
    # CUDA afterwards).
    fit = error = None
    if rank == 0:
        # a config error is reported as itself, before the measurement
        from mmddarts.engine.run_checks import check_model_builds
        check_model_builds(cfg)
        try:
            fit = _fit(cfg, settings, device)
        except MeasurementError as e:
            if not e.is_oom:  # a build/config error, not memory
                raise SystemExit(
                    f'error: {e.error} (raised by the search iteration the '
                    'memory check runs; --no-preflight shows where)'
                ) from None
            error = (f'the search iteration ran out of memory already at '
                     f'batches {list(settings["batches"])}: {e.error}')
        except MeasurementDied as e:
            error = str(e)
        except TimeoutError as e:
            error = f'{e} (preflight.timeout)'
    info = _budget(device, settings)
    budgets = all_gather_object(info['budget']) if world > 1 else \
        [info['budget']]
    known = [b for b in budgets if b is not None]
    decision = [None]
    if rank == 0 and error is not None:
        decision = [dict(action='error', error=error)]
    elif rank == 0:
        d = decide(cfg, settings, fit, min(known) if known else None,
                   device)
        d['budget_sources'] = info
        d['rank_budgets'] = budgets
        d['seconds'] = time.perf_counter() - t0
        d['rss_at_check'] = rss_bytes()  # what the estimate adds to (CPU)
        decision = [d]
    if world > 1:
        broadcast_object_list(decision, src=0)
    d = decision[0]
    if d['action'] == 'error':
        raise SystemExit(
            'preflight: could not measure the memory of one search '
            f'iteration: {d["error"]}. Skip the check with --no-preflight.'
            if rank == 0 else 'preflight: stopped on rank 0 (see its log)')
    if d['action'] == 'refuse':
        if settings['auto_batch']:
            d['auto'] = True
        raise SystemExit(refusal_message(cfg, d) if rank == 0 else
                         'preflight: stopped by rank 0\'s memory estimate '
                         '(see its log)')
    if d['action'] == 'unknown-budget':
        _log('preflight: cannot read the available memory on this system; '
             f'estimated peak at batch {d["batch"]}: {fmt_bytes(d["need"])}',
             'WARNING')
        if settings['auto_batch']:
            raise SystemExit('Error: --auto-batch needs the available memory'
                             ', which this system does not report; set '
                             "preflight.budget (e.g. '8GB')")
        return d
    if d['action'] == 'auto':
        base = _apply_auto_batch(cfg, d, world)
        d['base_batch_size'] = base
        d['lr_ratio'] = d['best'] * world / base
        _log(f'auto-batch: batch {d["best"]} per rank for both search '
             f'loaders (was {d["batch"]}; estimated peak '
             f'{fmt_bytes(MemoryFit(**d["fit"]).predict(d["best"]))} of '
             f'{fmt_bytes(d["usable"])} usable); learning rates scaled by '
             f'{d["best"]} x {world} / {base} = {d["lr_ratio"]:.4g} '
             '(auto_scale_lr)')
    else:
        _log(f'preflight: estimated peak {fmt_bytes(d["need"])} at batch '
             f'{d["batch"]} ({d["mode"]}), available {fmt_bytes(d["budget"])}'
             f'; checked in {d["seconds"]:.1f} s')
    if rank == 0:
        _write_report(cfg, d)
    return d
