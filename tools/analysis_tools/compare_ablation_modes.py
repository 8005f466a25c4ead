"""Compare the ablation modes of a D-DARTS search: search, train, test.

    OMP_NUM_THREADS=1 python tools/analysis_tools/compare_ablation_modes.py \
        [--modes exact reference none] [--seeds 0 1 2 3 4] \
        [--search-epochs N] [--train-epochs 10] [--work-dir DIR] \
        [--aggregate-only]

For every mode and seed it runs the offline digits search
(``configs/search/ddarts_digits.py`` with
``model.arch_strategy.ablation=<mode>`` and ``randomness.seed=<seed>``)
through ``tools/train.py``, trains the searched
``sparse`` genotype with ``configs/train/ddarts_digits.py`` (all its cells,
same seed) and reads the test accuracy of the last epoch (the digits
``val_dataloader`` is the held-out test split, evaluated after every epoch;
no checkpoint is chosen on it). Then it reports per mode the mean ± sample
std of the test accuracy and of the parameter count (without the auxiliary
head, as ``get_flops.py``), and the architecture distance
(:mod:`mmddarts.search.distance`, packaged scores, ``align='pad'``) between
the genotypes: of two modes with the same seed (same initial alphas, data
order and augmentations) and, as the noise floor, of two seeds of one mode.

Every finished run is appended to ``<work-dir>/runs.jsonl``; a rerun skips
the runs already recorded there, so an interrupted comparison resumes.
Several copies can run side by side on disjoint ``--modes`` / ``--seeds``
with their own ``--work-dir``; ``--aggregate-only --runs-from DIR ...``
then summarises them together.
The summary goes to ``<work-dir>/summary.md`` and ``summary.json``.
"""
import argparse
import itertools
import json
import math
import os
import os.path as osp
import statistics
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MODES = ('exact', 'reference', 'none')
TRAIN_EPOCHS = 10


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--modes', nargs='+', default=list(MODES),
                        help=f'ablation modes to compare ({", ".join(MODES)})')
    parser.add_argument('--seeds', nargs='+', type=int,
                        default=[0, 1, 2, 3, 4],
                        help='seeds of the search and of the training')
    parser.add_argument('--search-config',
                        default='configs/search/ddarts_digits.py')
    parser.add_argument('--train-config',
                        default='configs/train/ddarts_digits.py')
    parser.add_argument('--search-epochs', type=int, default=None,
                        help="override the search config's epochs")
    parser.add_argument('--train-epochs', type=int, default=None,
                        help='epochs of the derived network (default: the '
                        'demo\'s 10; with --aggregate-only, the budget of '
                        'the recorded runs when they have only one)')
    parser.add_argument('--method', default='sparse',
                        choices=['sparse', 'edge', 'darts'],
                        help='parse of the genotype to train')
    parser.add_argument('--work-dir',
                        default=osp.join('work_dirs', 'compare_ablation_modes'))
    parser.add_argument('--aggregate-only', action='store_true',
                        help='only summarise the runs already recorded')
    parser.add_argument('--runs-from', nargs='+', default=[],
                        metavar='DIR',
                        help='also summarise the runs recorded in these work '
                        'dirs (other copies of this tool run in parallel '
                        'on other modes / seeds)')
    args = parser.parse_args(argv)
    bad = [m for m in args.modes if m not in MODES]
    if bad:
        parser.error(f'unknown ablation mode(s) {bad}; choose from {MODES}')
    if len(set(args.modes)) != len(args.modes):
        parser.error(f'--modes repeats a mode: {args.modes}')
    if len(set(args.seeds)) != len(args.seeds):
        parser.error(f'--seeds repeats a seed: {args.seeds}')
    for name in ('search_epochs', 'train_epochs'):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1, '
                         f'got {value}')
    # whether the budget was given (--aggregate-only may take the runs')
    args.budget_given = args.search_epochs is not None or \
        args.train_epochs is not None
    if args.train_epochs is None:
        args.train_epochs = TRAIN_EPOCHS
    return args


def plan(modes, seeds, done=()):
    """(mode, seed) pairs still to run, seed-major so that an interrupted
    comparison has every mode for its first seeds."""
    done = set(done)
    return [(m, s) for s, m in itertools.product(seeds, modes)
            if (m, s) not in done]


def run_dir(work_dir, mode, seed):
    return osp.join(work_dir, f'{mode}_seed{seed}')


def search_cmd(args, mode, seed, out_dir, python=sys.executable):
    from mmengine.config import Config

    from mmddarts.utils.search_cfg import objective_key
    path = args.search_config
    if not osp.isabs(path) and not osp.exists(path):
        path = osp.join(ROOT, path)  # the commands run from ROOT
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


def last_accuracy(scalars_lines):
    """Top-1 accuracy of the last evaluation in mmengine's
    ``vis_data/scalars.json`` lines (``None`` if there is none)."""
    acc = None
    for line in scalars_lines:
        line = line.strip()
        if not line:
            continue
        record = json.loads(line)
        if 'accuracy/top1' in record:
            acc = float(record['accuracy/top1'])
    return acc


def find_scalars(train_dir):
    """The newest ``<timestamp>/vis_data/scalars.json`` of a work dir."""
    stamps = sorted(d for d in os.listdir(train_dir)
                    if osp.isfile(osp.join(train_dir, d, 'vis_data',
                                           'scalars.json')))
    if not stamps:
        raise FileNotFoundError(f'{train_dir}: no */vis_data/scalars.json')
    return osp.join(train_dir, stamps[-1], 'vis_data', 'scalars.json')


def count_params(train_config, genotype, num_cells):
    """Parameters of the derived network without its auxiliary head."""
    import importlib.util

    from mmengine.config import Config
    spec = importlib.util.spec_from_file_location(
        'get_flops', osp.join(ROOT, 'tools', 'analysis_tools', 'get_flops.py'))
    get_flops = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(get_flops)
    cfg = Config.fromfile(train_config)
    cfg.merge_from_dict({'model.backbone.genotype': genotype,
                         'model.backbone.num_cells': num_cells})
    return get_flops.count_parameters(get_flops.build_model(cfg))


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
        lines.append(
            f'| `{mode}` | {s["n"]} | {_pm(s["acc_mean"], s["acc_std"], ".2f")}'
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


def run_logged(cmd, log_path):
    """Run ``cmd`` in the repository root, output to ``log_path``."""
    print('$', ' '.join(cmd), flush=True)
    env = dict(os.environ)
    env['PYTHONPATH'] = ROOT + (os.pathsep + env['PYTHONPATH']
                                if env.get('PYTHONPATH') else '')
    t0 = time.time()
    with open(log_path, 'w') as log:
        code = subprocess.call(cmd, cwd=ROOT, stdout=log,
                               stderr=subprocess.STDOUT, env=env)
    if code != 0:
        with open(log_path) as f:
            sys.stderr.write(''.join(f.readlines()[-30:]))
        raise RuntimeError(f'{cmd[1]} failed with exit code {code} '
                           f'(log: {log_path})')
    return time.time() - t0


def one_run(args, mode, seed):
    """Search, train and read the accuracy of one (mode, seed)."""
    out = osp.abspath(run_dir(args.work_dir, mode, seed))
    os.makedirs(out, exist_ok=True)
    search_s = run_logged(search_cmd(args, mode, seed, osp.join(out, 'search')),
                          osp.join(out, 'search.log'))
    genotype = osp.join(out, 'search', f'genotype_{args.method}_final.json')
    with open(genotype) as f:
        num_cells = len(json.load(f)['seq'])
    train_dir = osp.join(out, 'train')
    train_s = run_logged(
        train_cmd(args, genotype, num_cells, seed, train_dir),
        osp.join(out, 'train.log'))
    with open(find_scalars(train_dir)) as f:
        acc = last_accuracy(f)
    if acc is None:
        raise RuntimeError(f'{train_dir}: no accuracy/top1 was logged')
    return dict(mode=mode, seed=seed, genotype=osp.relpath(genotype, ROOT),
                num_cells=num_cells, test_acc=acc,
                params=count_params(osp.join(ROOT, args.train_config),
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


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.work_dir, exist_ok=True)
    runs_path = osp.join(args.work_dir, 'runs.jsonl')
    runs = read_runs(runs_path)
    extra = [r for d in args.runs_from
             for r in read_runs(osp.join(d, 'runs.jsonl'))]
    if not args.aggregate_only:
        done = [(r['mode'], r['seed']) for r in runs
                if r.get('search_epochs') == args.search_epochs
                and r.get('train_epochs') == args.train_epochs]
        for mode, seed in plan(args.modes, args.seeds, done):
            record = one_run(args, mode, seed)
            print(f'{mode} seed {seed}: test top-1 {record["test_acc"]:.2f}%,'
                  f' {record["params"]:,} parameters', flush=True)
            with open(runs_path, 'a') as f:
                f.write(json.dumps(record) + '\n')
            runs.append(record)
    if args.aggregate_only and not args.budget_given:
        # no budget given: the recorded runs' own, if they share one
        budgets = {(r.get('search_epochs'), r.get('train_epochs'))
                   for r in runs + extra if r['mode'] in args.modes
                   and r['seed'] in args.seeds}
        if len(budgets) == 1:
            args.search_epochs, args.train_epochs = budgets.pop()
    # only the runs of this budget: never average two budgets together;
    # a (mode, seed) recorded twice counts once (the first record)
    seen = set()
    runs_all = runs + extra
    runs = [r for r in runs + extra
            if (r['mode'], r['seed'], r.get('search_epochs'),
                r.get('train_epochs')) not in seen
            and not seen.add((r['mode'], r['seed'], r.get('search_epochs'),
                              r.get('train_epochs')))]
    runs = [r for r in runs if r['mode'] in args.modes
            and r['seed'] in args.seeds
            and r.get('search_epochs') == args.search_epochs
            and r.get('train_epochs') == args.train_epochs]
    if not runs:
        sources = [runs_path] + [osp.join(d, 'runs.jsonl')
                                 for d in args.runs_from]
        found = sorted({(r.get('search_epochs'), r.get('train_epochs'))
                        for r in runs_all}, key=str)
        print(f'no runs recorded for modes {args.modes}, seeds '
              f'{args.seeds}, search epochs {args.search_epochs}, train '
              f'epochs {args.train_epochs} in {", ".join(sources)}'
              + (f'; recorded budgets (search, train epochs): {found}: '
                 'pass --search-epochs / --train-epochs' if found else ''),
              file=sys.stderr)
        return 1

    from mmddarts.search.distance import genotype_distance
    from mmddarts.structures import Genotype
    genotypes = {(r['mode'], r['seed']): Genotype.load(
        osp.join(ROOT, r['genotype']) if not osp.isabs(r['genotype'])
        else r['genotype']) for r in runs}
    for r in runs:
        g = genotypes[(r['mode'], r['seed'])]
        r['ops'] = sum(len(g.gene(i)) for i in range(g.num_cells))
        r['fallback_cells'] = len(g.meta.get('empty_fallback') or [])
    summary = summarise(runs, args.modes)
    distances = distance_summary(genotypes, args.modes, genotype_distance)
    text = markdown(summary, distances, budget_text(args))
    print(text)
    with open(osp.join(args.work_dir, 'summary.md'), 'w') as f:
        f.write(text)
    with open(osp.join(args.work_dir, 'summary.json'), 'w') as f:
        json.dump(dict(summary=summary, distances=distances,
                       budget=budget_text(args)), f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
