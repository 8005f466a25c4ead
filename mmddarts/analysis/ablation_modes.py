"""Search, train and compare the ablation modes of a D-DARTS search (what
``tools/analysis_tools/compare_ablation_modes.py`` runs and reports): the
commands of each run, reading their results back, and the summary tables.
"""
import itertools
import json
import math
import os
import os.path as osp
import statistics
import subprocess
import sys
import time

from mmengine.config import Config

from mmddarts.structures.loading import load_genotype
from mmddarts.utils.search_cfg import objective_key
from .complexity import build_model, count_parameters
from .train_logs import find_scalars, last_accuracy  # noqa: F401

MODES = ('exact', 'reference', 'none')
TRAIN_EPOCHS = 10  # the demo's


def plan(modes, seeds, done=()):
    """(mode, seed) pairs still to run, seed-major so that an interrupted
    comparison has every mode for its first seeds."""
    done = set(done)
    return [(m, s) for s, m in itertools.product(seeds, modes)
            if (m, s) not in done]


def run_dir(work_dir, mode, seed):
    return osp.join(work_dir, f'{mode}_seed{seed}')


def search_cmd(args, mode, seed, out_dir, python=sys.executable):
    path = args.search_config
    if not osp.isabs(path) and not osp.exists(path):
        # the commands run from the repository root
        path = osp.join(osp.dirname(osp.dirname(osp.dirname(
            osp.abspath(__file__)))), path)
    # model.ablation (old configs) or model.arch_strategy.ablation
    key = objective_key(Config.fromfile(path).model, 'ablation')
    cmd = [python, 'tools/train.py', args.search_config,
           '--work-dir', out_dir, '--cfg-options', f'{key}={mode}',
           f'randomness.seed={seed}']
    if args.search_epochs:
        cmd.append(f'train_cfg.max_epochs={args.search_epochs}')
    return cmd


def train_cmd(args, genotype, num_cells, seed, out_dir,
              python=sys.executable):
    return [python, 'tools/train.py', args.train_config,
            '--work-dir', out_dir, '--cfg-options',
            f'model.backbone.genotype={genotype}',
            f'model.backbone.num_cells={num_cells}',
            f'randomness.seed={seed}',
            f'train_cfg.max_epochs={args.train_epochs}']


def count_params(train_config, genotype, num_cells):
    """Parameters of the derived network without its auxiliary head."""
    cfg = Config.fromfile(train_config)
    cfg.merge_from_dict({'model.backbone.genotype': genotype,
                         'model.backbone.num_cells': num_cells})
    return count_parameters(build_model(cfg))


def mean_std(values):
    """Mean and sample standard deviation (nan for fewer than 2 values)."""
    values = [float(v) for v in values]
    if not values:
        return math.nan, math.nan
    std = statistics.stdev(values) if len(values) > 1 else math.nan
    return statistics.fmean(values), std


def summarise(runs, modes):
    """Per-mode statistics of the recorded runs."""
    out = {}
    for mode in modes:
        rows = sorted((r for r in runs if r['mode'] == mode),
                      key=lambda r: r['seed'])
        acc = mean_std([r['test_acc'] for r in rows])
        params = mean_std([r['params'] for r in rows])
        out[mode] = dict(
            n=len(rows), seeds=[r['seed'] for r in rows],
            test_acc=[r['test_acc'] for r in rows],
            acc_mean=acc[0], acc_std=acc[1],
            params=[r['params'] for r in rows],
            params_mean=params[0], params_std=params[1],
            search_s=mean_std([r['search_s'] for r in rows])[0],
            train_s=mean_std([r['train_s'] for r in rows])[0],
            # filled in by main() from the genotype files
            ops_mean=mean_std([r['ops'] for r in rows if 'ops' in r])[0],
            fallback_cells=sum(r.get('fallback_cells', 0) for r in rows))
    return out


def distance_summary(genotypes, modes, distance):
    """Architecture distances between the genotypes of the runs.

    Args:
        genotypes (dict): ``(mode, seed) -> genotype`` (anything
            ``distance`` takes).
        modes (list[str]): the modes, in report order.
        distance (callable): ``distance(a, b) -> float``.

    Returns:
        dict: ``'<a> vs <b>'`` (a != b) -> distances of the same-seed pairs
        of modes a and b; ``'<a> seeds'`` -> distances of every pair of
        different seeds of mode a.
    """
    out = {}
    seeds = sorted({s for _, s in genotypes})
    for a, b in itertools.combinations(modes, 2):
        out[f'{a} vs {b}'] = [
            distance(genotypes[(a, s)], genotypes[(b, s)]) for s in seeds
            if (a, s) in genotypes and (b, s) in genotypes]
    for m in modes:
        mine = [s for s in seeds if (m, s) in genotypes]
        out[f'{m} seeds'] = [
            distance(genotypes[(m, s)], genotypes[(m, t)])
            for s, t in itertools.combinations(mine, 2)]
    return out


def _pm(mean, std, fmt):
    if math.isnan(mean):
        return '-'
    if math.isnan(std):
        return format(mean, fmt)
    return f'{format(mean, fmt)} ± {format(std, fmt)}'


def markdown(summary, distances, budget):
    """The summary as two markdown tables."""
    lines = [
        f'Budget: {budget}.', '',
        '| ablation | runs | test top-1 (%) | parameters | '
        'search / train time (s) | per-seed top-1 | ops per genotype | '
        'cells kept by the empty-gene fallback |',
        '|---|---|---|---|---|---|---|---|']
    for mode, s in summary.items():
        per_seed = ', '.join(f'{a:.2f}' for a in s['test_acc'])
        times = '-' if s['n'] == 0 else \
            f'{s["search_s"]:.0f} / {s["train_s"]:.0f}'
        acc = _pm(s['acc_mean'], s['acc_std'], '.2f')
        lines.append(
            f'| `{mode}` | {s["n"]} | {acc}'
            f' | {_pm(s["params_mean"], s["params_std"], ",.0f")} | {times} '
            f'| {per_seed} | {_pm(s["ops_mean"], math.nan, ".1f")} '
            f'| {s["fallback_cells"]} |')
    lines += ['', '| genotypes compared | pairs | architecture distance |',
              '|---|---|---|']
    for key, values in distances.items():
        what = f'`{key[:-6]}`, different seeds' if key.endswith(' seeds') \
            else ' vs '.join(f'`{m}`' for m in key.split(' vs ')) + \
            ', same seed'
        lines.append(f'| {what} | {len(values)} | '
                     f'{_pm(*mean_std(values), ".3f")} |')
    return '\n'.join(lines) + '\n'


def read_runs(path):
    if not osp.isfile(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def run_logged(cmd, log_path, root):
    """Run ``cmd`` in the repository ``root``, output to ``log_path``."""
    print('$', ' '.join(cmd), flush=True)
    env = dict(os.environ)
    env['PYTHONPATH'] = root + (os.pathsep + env['PYTHONPATH']
                                if env.get('PYTHONPATH') else '')
    t0 = time.time()
    with open(log_path, 'w') as log:
        code = subprocess.call(cmd, cwd=root, stdout=log,
                               stderr=subprocess.STDOUT, env=env)
    if code != 0:
        with open(log_path) as f:
            sys.stderr.write(''.join(f.readlines()[-30:]))
        raise RuntimeError(f'{cmd[1]} failed with exit code {code} '
                           f'(log: {log_path})')
    return time.time() - t0


def one_run(args, mode, seed, root):
    """Search, train and read the accuracy of one (mode, seed); ``args``:
    the namespace of ``tools/analysis_tools/compare_ablation_modes.py``,
    ``root``: the repository its tools and configs are run from."""
    out = osp.abspath(run_dir(args.work_dir, mode, seed))
    os.makedirs(out, exist_ok=True)
    search_s = run_logged(
        search_cmd(args, mode, seed, osp.join(out, 'search')),
        osp.join(out, 'search.log'), root)
    genotype = osp.join(out, 'search', f'genotype_{args.method}_final.json')
    with open(genotype) as f:
        num_cells = len(json.load(f)['seq'])
    train_dir = osp.join(out, 'train')
    train_s = run_logged(
        train_cmd(args, genotype, num_cells, seed, train_dir),
        osp.join(out, 'train.log'), root)
    with open(find_scalars(train_dir)) as f:
        acc = last_accuracy(f)
    if acc is None:
        raise RuntimeError(f'{train_dir}: no accuracy/top1 was logged')
    return dict(mode=mode, seed=seed, genotype=osp.relpath(genotype, root),
                num_cells=num_cells, test_acc=acc,
                params=count_params(osp.join(root, args.train_config),
                                    genotype, num_cells),
                search_s=round(search_s, 1), train_s=round(train_s, 1),
                search_epochs=args.search_epochs,
                train_epochs=args.train_epochs)


def budget_text(args):
    search = f'{args.search_epochs} search epochs' if args.search_epochs \
        else "the search config's epochs"
    return (f'{osp.basename(args.search_config)} ({search}), '
            f'{args.method} genotype trained {args.train_epochs} epochs with '
            f'{osp.basename(args.train_config)}; test top-1 of the last epoch')


def load_run_genotypes(runs, root):
    """``(mode, seed) -> Genotype`` of the recorded runs (paths relative to
    ``root`` or absolute); adds each run's op count and number of cells kept
    by the empty-gene fallback to its record."""
    genotypes = {(r['mode'], r['seed']): load_genotype(
        osp.join(root, r['genotype']) if not osp.isabs(r['genotype'])
        else r['genotype']) for r in runs}
    for r in runs:
        g = genotypes[(r['mode'], r['seed'])]
        r['ops'] = sum(len(g.gene(i)) for i in range(g.num_cells))
        r['fallback_cells'] = len(g.meta.get('empty_fallback') or [])
    return genotypes


def select_runs(runs, modes, seeds, search_epochs, train_epochs):
    """The runs of these modes, seeds and budget: never average two budgets
    together; a (mode, seed) recorded twice counts once (the first
    record)."""
    seen = set()
    runs = [r for r in runs
            if (r['mode'], r['seed'], r.get('search_epochs'),
                r.get('train_epochs')) not in seen
            and not seen.add((r['mode'], r['seed'], r.get('search_epochs'),
                              r.get('train_epochs')))]
    return [r for r in runs if r['mode'] in modes and r['seed'] in seeds
            and r.get('search_epochs') == search_epochs
            and r.get('train_epochs') == train_epochs]
