"""ACA's evidence grid: method x search length x seed on the digits search
(docs/aca.md, tools/analysis_tools/aca_grid.py).

Methods: ``darts`` (DARTS, with skip_connect), ``darts+aca`` (the same
search without skip_connect, ACA-allocated), ``ddarts`` and ``ddarts+aca``
likewise for D-DARTS. Every run searches through ``tools/train.py``, trains
the final genotype through ``tools/train.py`` and records, in
``<work-dir>/runs.jsonl`` (one line per finished run; a rerun skips the
recorded ones, so the grid resumes and copies can run on other machines):

- per search epoch (``search_history.jsonl``): skip_connect count per cell,
  distinct op types per cell, distance to the previous epoch's genotype
  (:func:`mmddarts.structures.distance.genotype_distance`);
- of the trained genotype: identity share per cell at the trained width
  (ACA; 0 for plain genotypes), distinct op types per cell (an ACA identity
  refill counts as the type ``skip``), parameters, test top-1 of the last
  epoch.

:func:`aggregate` (separate, ``--aggregate-only``) summarises the records.
The run helpers (logged subprocess, accuracy and parameter readers,
mean/std) are those of the ablation-mode comparison.
"""
import json
import os
import os.path as osp

from mmddarts.structures.loading import load_genotype
from . import ablation_modes
from .ablation_modes import find_scalars, last_accuracy, mean_std
from .complexity import build_model, count_parameters

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

METHODS = {
    'darts': dict(
        search='configs/search/aca-darts_digits.py',
        options=['model.architecture.op_set=darts', 'aca=None'],
        parse='darts', genotype='genotype_darts_final.json',
        train='configs/train/ddarts_digits.py'),
    'darts+aca': dict(
        search='configs/search/aca-darts_digits.py', options=[],
        parse='darts', genotype='genotype_aca_final.json',
        train='configs/train/aca-darts_digits.py'),
    'ddarts': dict(
        search='configs/search/ddarts_digits.py', options=[],
        parse='sparse', genotype='genotype_sparse_final.json',
        train='configs/train/ddarts_digits.py'),
    'ddarts+aca': dict(
        search='configs/search/aca-ddarts_digits.py', options=[],
        parse='sparse', genotype='genotype_aca_final.json',
        train='configs/train/aca-ddarts_digits.py'),
}


def options_dict(options):
    """``['a.b=1', ...]`` as ``--cfg-options`` parses them."""
    import argparse

    from mmengine.config import DictAction
    parser = argparse.ArgumentParser()
    parser.add_argument('--o', nargs='*', action=DictAction, default={})
    return dict(parser.parse_args(['--o', *options]).o or {})


def trained_config(train_config, genotype, num_cells, train_options):
    """The training config as the grid runs it."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, train_config))
    cfg.merge_from_dict(dict(options_dict(train_options), **{
        'model.backbone.genotype': genotype,
        'model.backbone.num_cells': num_cells}))
    return cfg


def count_params(cfg):
    """Parameters without the auxiliary head, as ``get_flops.py``."""
    return count_parameters(build_model(cfg))


def run_key(method, epochs, seed):
    return f'{method}_e{epochs}_seed{seed}'


def plan(methods, epochs, seeds, done=()):
    """(method, epochs, seed) still to run, seed-major then short first."""
    done = set(done)
    return [(m, e, s) for s in seeds for e in epochs for m in methods
            if (m, e, s) not in done]


def cell_stats(genotype, channels):
    """Per cell: skip_connect count, identity share at ``channels`` (ACA),
    distinct op types (an identity refill counts as ``skip``)."""
    from mmddarts.models.search.aca import identity_shares
    shares = identity_shares(genotype, channels)
    skips, types = [], []
    for k in range(genotype.num_cells):
        ops = [op for op, _, _ in genotype.gene(k)]
        skips.append(ops.count('skip_connect'))
        kinds = {('skip' if op == 'skip_connect' else op) for op in ops}
        if shares[k] > 0:
            kinds.add('skip')
        types.append(len(kinds))
    return dict(skips=skips, identity_share=[round(s, 4) for s in shares],
                op_types=types)


def epoch_stats(history_path, parse):
    """Per search epoch: skip counts, op types per cell and the distance
    to the previous epoch's genotype (None for the first)."""
    from mmddarts.structures.distance import genotype_distance
    from mmddarts.structures import Genotype
    out, prev = [], None
    with open(history_path) as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            g = Genotype.from_dict(rec['genotypes'][parse])
            stats = cell_stats(g, 1)
            out.append(dict(
                epoch=rec['epoch'], skips=stats['skips'],
                op_types=stats['op_types'],
                distance=None if prev is None else
                round(float(genotype_distance(prev, g)), 4)))
            prev = g
    return out


def one_run(method, epochs, seed, work_dir, search_options=(),
            train_options=(), train_epochs=None, python=None):
    """Search, train and measure one grid cell; returns its record."""
    import sys

    spec = METHODS[method]
    python = python or sys.executable
    out = osp.abspath(osp.join(work_dir, run_key(method, epochs, seed)))
    os.makedirs(out, exist_ok=True)
    search_dir = osp.join(out, 'search')
    cmd = [python, 'tools/train.py', spec['search'], '--work-dir',
           search_dir, '--cfg-options', *spec['options'],
           f'randomness.seed={seed}', f'train_cfg.max_epochs={epochs}',
           *search_options]
    search_s = ablation_modes.run_logged(cmd, osp.join(out, 'search.log'),
                                         REPO)
    geno_path = osp.join(search_dir, spec['genotype'])
    geno = load_genotype(geno_path)
    train_dir = osp.join(out, 'train')
    cmd = [python, 'tools/train.py', spec['train'], '--work-dir', train_dir,
           '--cfg-options', f'model.backbone.genotype={geno_path}',
           f'model.backbone.num_cells={geno.num_cells}',
           f'randomness.seed={seed}', *train_options]
    if train_epochs:
        cmd.append(f'train_cfg.max_epochs={train_epochs}')
    train_s = ablation_modes.run_logged(cmd, osp.join(out, 'train.log'),
                                        REPO)
    with open(find_scalars(train_dir)) as f:
        acc = last_accuracy(f)
    cfg = trained_config(spec['train'], geno_path, geno.num_cells,
                         train_options)
    channels = cfg.model.backbone.channels
    return dict(
        method=method, epochs=epochs, seed=seed,
        genotype=osp.relpath(geno_path, REPO), test_acc=acc,
        # cells whose parse kept no op above the threshold (a fallback edge)
        fallback_cells=len(geno.meta.get('empty_fallback') or []),
        params=count_params(cfg),
        final=cell_stats(geno, channels), trained_channels=channels,
        per_epoch=epoch_stats(osp.join(search_dir, 'search_history.jsonl'),
                              spec['parse']),
        search_s=round(search_s, 1), train_s=round(train_s, 1),
        budget=dict(search_options=list(search_options),
                    train_options=list(train_options),
                    train_epochs=train_epochs))


def read_runs(work_dir):
    """The records of ``<work_dir>/runs.jsonl``; a record written before
    ``fallback_cells`` was recorded gets it from its genotype file."""
    path = osp.join(work_dir, 'runs.jsonl')
    if not osp.isfile(path):
        return []
    with open(path) as f:
        runs = [json.loads(line) for line in f if line.strip()]
    for r in runs:
        geno = osp.join(work_dir, run_key(r['method'], r['epochs'],
                                          r['seed']), 'search',
                        METHODS[r['method']]['genotype'])
        if 'fallback_cells' not in r and osp.isfile(geno):
            r['fallback_cells'] = len(
                load_genotype(geno).meta.get('empty_fallback') or [])
    return runs


def _mean(values):
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else float('nan')


def aggregate(runs):
    """``{(method, epochs): summary}`` of the recorded runs."""
    out = {}
    for key in sorted({(r['method'], r['epochs']) for r in runs}):
        rows = [r for r in runs if (r['method'], r['epochs']) == key]
        acc = mean_std([r['test_acc'] for r in rows])
        params = mean_std([r['params'] for r in rows])
        out[key] = dict(
            n=len(rows), acc_mean=acc[0], acc_std=acc[1],
            params_mean=params[0],
            skips=_mean([sum(r['final']['skips']) for r in rows]),
            identity=_mean([_mean(r['final']['identity_share'])
                            for r in rows]),
            op_types=_mean([_mean(r['final']['op_types']) for r in rows]),
            fallback_cells=_mean([r.get('fallback_cells') for r in rows]),
            distance=_mean([_mean([e['distance'] for e in r['per_epoch']])
                            for r in rows]),
            last_distance=_mean([r['per_epoch'][-1]['distance']
                                 for r in rows]),
            skips_by_epoch=[_mean([sum(r['per_epoch'][i]['skips'])
                                   for r in rows])
                            for i in range(min(len(r['per_epoch'])
                                               for r in rows))])
    return out


def markdown(summary):
    lines = [
        '| method | search epochs | runs | test top-1 (%) | parameters | '
        'skip_connect (all cells) | identity share per cell | op types per '
        'cell | empty-gene fallback cells | epoch-to-epoch distance (mean / '
        'last) | skip_connect by epoch |',
        '|---|---|---|---|---|---|---|---|---|---|---|']
    for (method, epochs), s in summary.items():
        acc = f'{s["acc_mean"]:.2f}' + (
            '' if s['acc_std'] != s['acc_std'] else f' ± {s["acc_std"]:.2f}')
        curve = ', '.join(f'{v:.1f}' for v in s['skips_by_epoch'])
        lines.append(
            f'| `{method}` | {epochs} | {s["n"]} | {acc} | '
            f'{s["params_mean"]:,.0f} | {s["skips"]:.1f} | '
            f'{s["identity"]:.3f} | {s["op_types"]:.2f} | '
            f'{s["fallback_cells"]:.1f} | '
            f'{s["distance"]:.3f} / {s["last_distance"]:.3f} | {curve} |')
    return '\n'.join(lines) + '\n'
