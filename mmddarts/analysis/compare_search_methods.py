"""Search methods against random architectures, at the same budget.

Two independent steps (so a grid can be spread over machines or a cluster
and merged afterwards):

``run``
    For each (method, seed) of the grid: search with the method's config
    (``randomness.seed=seed``) through ``tools/train.py``, then train the
    parsed genotype with the training config (same seed), and write
    ``<work-dir>/<method>_seed<seed>/result.json``. ``random`` stands for
    a random architecture: genotype ``seed`` of
    :func:`mmddarts.structures.random_genotype.sample_genotype`, with the cell
    layout of the reference search config, trained the same way. A run whose
    ``result.json`` exists is skipped; a run whose search finished resumes at
    its training. Runs share nothing: several copies may run side by side
    on the same work dir (a cell being run holds a ``running`` lock file, the
    others skip it). The search time is the search loop's wall time from its
    ``search_cost.json`` (no process start-up).
``aggregate``
    Reads every ``*/result.json`` under the given work dirs (torch-free) and
    writes a table per method: test accuracy mean ± sample std, parameters,
    FLOPs, search and training wall time, and the bootstrap 95 % confidence
    interval of the difference of mean accuracy to the random architectures;
    and a plot of test accuracy against parameters.
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

import numpy as np
from mmddarts.structures.loading import load_genotype
from .train_logs import find_scalars, last_accuracy

RANDOM = 'random'
RESULT = 'result.json'

# name -> (search config, parse method of the genotype that is trained)
DEFAULT_METHODS = {
    'ddarts': ('configs/search/ddarts_fmnist.py', 'sparse'),
    'darts': ('configs/search/darts_fmnist.py', 'darts'),
    'fairdarts': ('configs/search/fairdarts_fmnist.py', 'sparse'),
}


def parse_method_spec(spec):
    """``NAME`` (a default method), ``random`` or ``NAME=CONFIG:PARSE``."""
    if spec == RANDOM:
        return RANDOM, None, None
    if '=' in spec:
        name, rest = spec.split('=', 1)
        config, sep, parse = rest.rpartition(':')
        if not sep or not name or not config or \
                parse not in ('darts', 'sparse', 'edge'):
            raise ValueError(f'method {spec!r}: expected NAME=CONFIG:PARSE '
                             '(PARSE one of darts, sparse, edge)')
        return name, config, parse
    if spec not in DEFAULT_METHODS:
        raise ValueError(f'unknown method {spec!r}; known: '
                         f'{sorted(DEFAULT_METHODS) + [RANDOM]} or '
                         'NAME=CONFIG:PARSE')
    return (spec, ) + DEFAULT_METHODS[spec]


def plan(methods, seeds, num_random, done=()):
    """``(method, seed)`` runs still to do, seed-major (an interrupted grid
    has every method for its first seeds); random architectures are
    ``(random, 0..num_random-1)`` (or ``(random, i)`` for ``i`` in
    ``num_random`` when it is a list of seeds), interleaved after the
    searched ones."""
    done = set(done)
    searched = [m for m in methods if m != RANDOM]
    runs = [(m, s) for s, m in itertools.product(seeds, searched)]
    rand_seeds = range(num_random) if isinstance(num_random, int) \
        else list(num_random)
    rand = [(RANDOM, i) for i in rand_seeds] if RANDOM in methods else []
    # interleave: one random architecture after each seed's searches
    out, k = [], 0
    per = len(searched) or 1
    for i in range(0, len(runs), per):
        out += runs[i:i + per]
        if k < len(rand):
            out.append(rand[k])
            k += 1
    out += rand[k:]
    return [r for r in out if r not in done]


def run_dir(work_dir, method, seed):
    return osp.join(work_dir, f'{method}_seed{seed}')


def run_logged(cmd, log_path, cwd):
    """Run ``cmd`` in ``cwd`` with output to ``log_path``; wall seconds."""
    print('$', ' '.join(cmd), flush=True)
    t0 = time.time()
    with open(log_path, 'w') as log:
        code = subprocess.call(cmd, cwd=cwd, stdout=log,
                               stderr=subprocess.STDOUT)
    if code != 0:
        with open(log_path) as f:
            sys.stderr.write(''.join(f.readlines()[-30:]))
        raise RuntimeError(f'{" ".join(cmd[1:3])} failed with exit code '
                           f'{code} (log: {log_path})')
    return time.time() - t0


def _options_dict(options):
    """``KEY=VALUE`` strings parsed as ``--cfg-options`` parses them."""
    from mmengine.config import DictAction
    out = {}
    for item in options:
        key, value = item.split('=', 1)
        out[key] = DictAction._parse_iterable(value)
    return out


def supernet_layout(search_config, options=()):
    """``(num_cells, steps, reductions)`` of a search config's supernet
    (after the ``--cfg-options`` strings ``options``)."""
    from mmengine.config import Config
    from mmddarts.structures import default_reductions
    cfg = Config.fromfile(search_config)
    cfg.merge_from_dict(_options_dict(options))
    arch = cfg.model.architecture
    n = arch.get('num_cells', 8)
    reductions = arch.get('reductions', None) or default_reductions(n)
    return n, arch.get('steps', 4), tuple(reductions)


def model_cost(train_config, genotype, num_cells, input_size, options=()):
    """``(parameters without the auxiliary head, FLOPs)`` of the trained
    network on one ``in_channels x input_size x input_size`` image."""
    import torch
    from mmengine.analysis import get_model_complexity_info
    from mmengine.config import Config
    from mmengine.registry import MODELS, init_default_scope
    cfg = Config.fromfile(train_config)
    opts = _options_dict(options)
    opts.update({'model.backbone.genotype': genotype,
                 'model.backbone.num_cells': num_cells})
    cfg.merge_from_dict(opts)
    init_default_scope(cfg.get('default_scope', 'mmddarts'))
    model = MODELS.build(cfg.model).eval()
    params = sum(p.numel() for name, p in model.named_parameters()
                 if 'aux_head' not in name and 'auxiliary' not in name)
    c = cfg.model.backbone.get('in_channels', 3)
    with torch.no_grad():
        info = get_model_complexity_info(
            model, input_shape=(c, input_size, input_size),
            show_table=False, show_arch=False)
    return int(params), int(info['flops'])


class GridRunner:
    """Runs the cells of a comparison grid; see the module docstring.

    Args:
        work_dir (str): where ``<method>_seed<seed>/`` folders go.
        methods (list[str]): method specs (:func:`parse_method_spec`).
        train_config (str): training config of every genotype.
        search_epochs (int, optional): override of the searches' epochs.
        train_epochs (int, optional): override of the training's epochs.
        random_parse (str): parse method whose genes the random
            architectures are drawn from.
        reference (str): method whose search config gives the random
            architectures' cell layout (cells, nodes, reductions).
        train_options (list[str]): extra ``--cfg-options`` of the training.
        search_options (list[str]): extra ``--cfg-options`` of the searches.
        input_size (int): image side for the FLOPs count.
        root (str): repository root (tools and configs are relative to it).
        python (str): the interpreter.
    """

    def __init__(self, work_dir, methods, train_config,
                 search_epochs=None, train_epochs=None, random_parse='darts',
                 reference='ddarts', train_options=(), search_options=(),
                 input_size=32, root='.', python=sys.executable):
        self.work_dir = work_dir
        self.methods = {}
        for spec in methods:
            name, config, parse = parse_method_spec(spec)
            self.methods[name] = (config, parse)
        self.train_config = train_config
        self.search_epochs = search_epochs
        self.train_epochs = train_epochs
        self.random_parse = random_parse
        self.reference = reference
        self.train_options = list(train_options)
        self.search_options = list(search_options)
        self.input_size = input_size
        self.root = osp.abspath(root)
        self.python = python

    def _path(self, p):
        return p if osp.isabs(p) else osp.join(self.root, p)

    def search(self, method, seed, out):
        """Run (or reuse) the search; returns the genotype file and the
        search's wall time (its ``search_cost.json``, which leaves out the
        process start; the process's own time when there is none)."""
        config, parse = self.methods[method]
        search_dir = osp.join(out, 'search')
        genotype = osp.join(search_dir, f'genotype_{parse}_final.json')
        if not osp.isfile(genotype):
            cmd = [self.python, 'tools/train.py', config, '--work-dir',
                   search_dir, '--cfg-options', f'randomness.seed={seed}']
            if self.search_epochs:
                cmd.append(f'train_cfg.max_epochs={self.search_epochs}')
            cmd += self.search_options
            seconds = run_logged(cmd, osp.join(out, 'search.log'), self.root)
            self._record_time(out, 'search_s', seconds)
            if not osp.isfile(genotype):
                raise RuntimeError(f'{search_dir}: the search wrote no '
                                   f'{osp.basename(genotype)}')
        cost = osp.join(search_dir, 'search_cost.json')
        if osp.isfile(cost):
            with open(cost) as f:
                return genotype, float(json.load(f)['wall_time_s'])
        return genotype, self._recorded_time(out, 'search_s')

    def random_genotype(self, seed, out):
        from mmddarts.structures.random_genotype import sample_genotype
        ref_config = self.methods.get(self.reference, (None, ))[0] or \
            DEFAULT_METHODS[self.reference][0]
        options = self.search_options if ref_config == \
            self.methods.get(self.reference, (None, ))[0] else ()
        n, steps, reductions = supernet_layout(self._path(ref_config),
                                               options)
        g = sample_genotype(num_cells=n, steps=steps,
                            method=self.random_parse, reductions=reductions,
                            seed=seed)
        path = osp.join(out, 'genotype_random.json')
        g.save(path)
        return path

    def _times_path(self, out):
        return osp.join(out, 'times.json')

    def _record_time(self, out, key, seconds):
        times = {}
        if osp.isfile(self._times_path(out)):
            with open(self._times_path(out)) as f:
                times = json.load(f)
        times[key] = round(seconds, 1)
        with open(self._times_path(out), 'w') as f:
            json.dump(times, f)

    def _recorded_time(self, out, key):
        try:
            with open(self._times_path(out)) as f:
                return json.load(f).get(key)
        except FileNotFoundError:
            return None

    def run_one(self, method, seed):
        """Search (unless random), train, test; writes ``result.json``."""
        out = osp.abspath(run_dir(self.work_dir, method, seed))
        os.makedirs(out, exist_ok=True)
        if method == RANDOM:
            genotype, search_s = self.random_genotype(seed, out), 0.0
            parse = self.random_parse
        else:
            genotype, search_s = self.search(method, seed, out)
            parse = self.methods[method][1]
        with open(genotype) as f:
            num_cells = len(json.load(f)['seq'])
        train_dir = osp.join(out, 'train')
        cmd = [self.python, 'tools/train.py', self.train_config,
               '--work-dir', train_dir, '--cfg-options',
               f'model.backbone.genotype={genotype}',
               f'model.backbone.num_cells={num_cells}',
               f'randomness.seed={seed}']
        if self.train_epochs:
            cmd += [f'train_cfg.max_epochs={self.train_epochs}',
                    f'train_cfg.val_interval={self.train_epochs}']
        cmd += self.train_options
        train_s = run_logged(cmd, osp.join(out, 'train.log'), self.root)
        with open(find_scalars(train_dir)) as f:
            acc = last_accuracy(f)
        if acc is None:
            raise RuntimeError(f'{train_dir}: no accuracy/top1 was logged')
        params, flops = model_cost(self._path(self.train_config), genotype,
                                   num_cells, self.input_size,
                                   self.train_options)
        g = load_genotype(genotype)
        record = dict(
            method=method, seed=seed,
            kind=RANDOM if method == RANDOM else 'searched',
            search_config=None if method == RANDOM else
            self.methods[method][0],
            parse=parse, genotype=osp.relpath(genotype, self.root),
            num_cells=num_cells,
            ops=sum(len(g.gene(i)) for i in range(g.num_cells)),
            test_acc=acc, params=params, flops=flops,
            search_s=round(search_s, 1) if search_s is not None else None,
            train_s=round(train_s, 1),
            search_epochs=self.search_epochs,
            train_epochs=self.train_epochs,
            train_config=self.train_config,
            train_options=self.train_options,
            search_options=self.search_options)
        tmp = osp.join(out, RESULT + '.tmp')
        with open(tmp, 'w') as f:
            json.dump(record, f, indent=1)
        os.replace(tmp, osp.join(out, RESULT))  # whole file or none
        return record

    def run(self, seeds, num_random):
        """Run every cell of the grid not done (``result.json``) and not
        taken by another copy of the tool (a ``running`` lock file, created
        atomically; a crashed run leaves it: delete it to rerun the cell)."""
        ran = 0
        for method, seed in plan(list(self.methods), seeds, num_random):
            out = run_dir(self.work_dir, method, seed)
            if osp.isfile(osp.join(out, RESULT)):
                continue
            os.makedirs(out, exist_ok=True)
            lock = osp.join(out, 'running')
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                print(f'{method} seed {seed}: skipped, {lock} exists (another '
                      'copy runs it, or delete it after a crash)', flush=True)
                continue
            with os.fdopen(fd, 'w') as f:
                f.write(f'{os.getpid()}\n')
            try:
                r = self.run_one(method, seed)
            finally:
                os.remove(lock)
            ran += 1
            print(f'{method} seed {seed}: test top-1 {r["test_acc"]:.2f} %, '
                  f'{r["params"]:,} parameters, search {r["search_s"]} s, '
                  f'train {r["train_s"]} s', flush=True)
        return ran


# ---------------------------------------------------------------- aggregate
def read_results(work_dirs):
    """Every ``*/result.json`` under ``work_dirs``; a (method, seed) found
    twice with different budgets is an error, with the same budget it
    counts once (the first)."""
    out, seen = [], {}
    for d in work_dirs:
        if not osp.isdir(d):
            raise FileNotFoundError(f'{d}: no such work dir')
        for name in sorted(os.listdir(d)):
            path = osp.join(d, name, RESULT)
            if not osp.isfile(path):
                continue
            with open(path) as f:
                try:
                    r = json.load(f)
                except json.JSONDecodeError as err:
                    raise ValueError(f'{path}: not JSON ({err.msg})') \
                        from None
            missing = [k for k in ('method', 'seed', 'test_acc', 'params')
                       if k not in r]
            if missing:
                raise ValueError(f'{path}: missing {missing}')
            key = (r['method'], r['seed'])
            budget = budget_key(r)
            if key in seen:
                if seen[key] != budget:
                    raise ValueError(
                        f'{path}: {r["method"]} seed {r["seed"]} was also '
                        f'run with another budget ({seen[key]} vs '
                        f'{budget}); aggregate one budget at a time')
                continue
            seen[key] = budget
            r['_path'] = path
            out.append(r)
    return out


def budget_key(r):
    return (r.get('search_epochs'), r.get('train_epochs'),
            r.get('train_config'), tuple(r.get('train_options') or ()))


def mean_std(values):
    """Mean and sample standard deviation (nan for fewer than 2 values)."""
    values = [float(v) for v in values if v is not None]
    if not values:
        return math.nan, math.nan
    std = statistics.stdev(values) if len(values) > 1 else math.nan
    return statistics.fmean(values), std


def bootstrap_diff_ci(a, b, num=10000, level=0.95, seed=0):
    """Percentile bootstrap interval of ``mean(a) - mean(b)``: both groups
    resampled with replacement, independently. ``(nan, nan)`` when a group
    is empty."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if not len(a) or not len(b):
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    ia = rng.integers(0, len(a), (num, len(a)))
    ib = rng.integers(0, len(b), (num, len(b)))
    diffs = a[ia].mean(1) - b[ib].mean(1)
    lo, hi = np.quantile(diffs, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def summarise(results, num_boot=10000):
    """Per-method statistics; methods in first-seen order, random last."""
    methods = []
    for r in results:
        if r['method'] not in methods:
            methods.append(r['method'])
    if RANDOM in methods:
        methods.remove(RANDOM)
        methods.append(RANDOM)
    rand = [r['test_acc'] for r in results if r['method'] == RANDOM]
    out = {}
    for m in methods:
        rows = sorted((r for r in results if r['method'] == m),
                      key=lambda r: r['seed'])
        acc = [r['test_acc'] for r in rows]
        s = dict(n=len(rows), seeds=[r['seed'] for r in rows], test_acc=acc)
        for key in ('test_acc', 'params', 'flops', 'search_s', 'train_s',
                    'ops'):
            mean, std = mean_std([r.get(key) for r in rows])
            s[f'{key}_mean'], s[f'{key}_std'] = mean, std
        if m != RANDOM and rand:
            s['diff_to_random'] = statistics.fmean(acc) - \
                statistics.fmean(rand)
            s['diff_ci95'] = bootstrap_diff_ci(acc, rand, num_boot)
        out[m] = s
    return out


def _pm(mean, std, fmt):
    if mean is None or math.isnan(mean):
        return '-'
    if std is None or math.isnan(std):
        return format(mean, fmt)
    return f'{format(mean, fmt)} ± {format(std, fmt)}'


def markdown(summary, budget=''):
    lines = []
    if budget:
        lines += [f'Budget: {budget}.', '']
    lines += [
        '| method | runs | test top-1 (%) | parameters (M) | FLOPs (M) | '
        'search (s) | training (s) | vs random: mean diff [95 % CI] '
        '(points) | per-run top-1 |',
        '|---|---|---|---|---|---|---|---|---|']
    for m, s in summary.items():
        diff = '-'
        if 'diff_ci95' in s:
            lo, hi = s['diff_ci95']
            diff = f'{s["diff_to_random"]:+.2f} [{lo:+.2f}, {hi:+.2f}]'
        params = _pm(s['params_mean'] / 1e6, s['params_std'] / 1e6, '.3f')
        flops = _pm(s['flops_mean'] / 1e6, s['flops_std'] / 1e6, '.1f')
        acc = _pm(s['test_acc_mean'], s['test_acc_std'], '.2f')
        search = '-' if m == RANDOM else _pm(s['search_s_mean'], math.nan,
                                             '.0f')
        lines.append(
            f'| `{m}` | {s["n"]} | {acc} '
            f'| {params} | {flops} | {search} '
            f'| {_pm(s["train_s_mean"], math.nan, ".0f")} | {diff} | '
            + ', '.join(f'{a:.2f}' for a in s['test_acc']) + ' |')
    return '\n'.join(lines) + '\n'


def budget_text(results):
    keys = {budget_key(r) for r in results}
    if len(keys) != 1:
        return f'{len(keys)} different budgets'
    search_epochs, train_epochs, train_config, options = keys.pop()
    text = (f'search epochs: {search_epochs or "as configured"}, '
            f'training: {train_config}, epochs '
            f'{train_epochs or "as configured"}')
    if options:
        text += f', options {" ".join(options)}'
    return text


def plot(results, path):
    """Test accuracy against parameters, one marker per method."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(5, 3.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    markers = itertools.cycle('osD^vP*X')
    for m in summarise(results, num_boot=1):
        rows = [r for r in results if r['method'] == m]
        ax.scatter([r['params'] / 1e6 for r in rows],
                   [r['test_acc'] for r in rows], label=m,
                   marker=next(markers), alpha=0.8)
    ax.set_xlabel('parameters (M, without auxiliary head)')
    ax.set_ylabel('test top-1 (%)')
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path


def aggregate(work_dirs, out_dir, make_plot=True):
    """Summarise the results under ``work_dirs`` into ``out_dir``
    (``summary.md``, ``summary.json``, ``accuracy_vs_params.png``)."""
    results = read_results(work_dirs)
    if not results:
        raise ValueError(f'no {RESULT} under {", ".join(work_dirs)}')
    keys = {budget_key(r) for r in results}
    if len(keys) > 1:
        raise ValueError(f'the results mix {len(keys)} budgets: '
                         f'{sorted(map(str, keys))}; aggregate one at a time')
    summary = summarise(results)
    text = markdown(summary, budget_text(results))
    os.makedirs(out_dir, exist_ok=True)
    with open(osp.join(out_dir, 'summary.md'), 'w') as f:
        f.write(text)
    with open(osp.join(out_dir, 'summary.json'), 'w') as f:
        json.dump(dict(summary=summary, budget=budget_text(results),
                       runs=[{k: v for k, v in r.items() if k != '_path'}
                             for r in results]), f, indent=1)
    if make_plot:
        plot(results, osp.join(out_dir, 'accuracy_vs_params.png'))
    return text
