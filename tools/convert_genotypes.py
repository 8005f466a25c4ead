"""Convert the released legacy genotypes into mmddarts JSON genotypes.

Reads the D-DARTS ``genotypes/*.txt`` files and DARTS' ``genotypes.tsv``
(parsed safely, never evaluated), writes ``configs/genotypes/*.json`` with
names users recognise, plus the handcrafted baselines, and regenerates the
table of ``configs/genotypes/README.md``.

The released files ship with the tests, in ``tests/data/reference/``
(``d-darts/genotypes/*.txt`` from https://github.com/aheuillet/D-DARTS,
``darts/genotypes.tsv`` from https://github.com/quark0/darts; see
``tests/data/reference/SOURCES_genotypes.md``), which is the default
``--ref-dir``.

Usage::

    python tools/convert_genotypes.py [--ref-dir tests/data/reference] \
        [--out-dir configs/genotypes]
"""
import argparse
import os
import os.path as osp
import re

from mmddarts.structures import (GenotypeError, default_reductions,
                                 parse_legacy_genotype, read_genotype_table)
from mmddarts.structures.baselines import BASELINE_NAMES, get_baseline

DATASETS = {'cifar10': 'c10', 'cifar100': 'c100'}
PAPER_DATASET = {'cifar10': 'DO-1', 'cifar100': 'DO-2'}
ARCHS = {'ResNet18': 'resnet18', 'ResNet50': 'resnet50',
         'Xception': 'xception'}

_DDARTS_RE = re.compile(
    r'^D-DARTS_threshold_(?P<parse>sparse|edge)(?P<abl>_abl(?P<w_abl>[\d.]+)'
    r'_fair(?P<w01>[\d.]+))?_(?P<dataset>cifar100|cifar10)_(?P<thr>[\d.]+)_'
    r'(?P<epochs>\d+)\.txt$')
_DARTOPTI_RE = re.compile(
    r'^(?P<arch>ResNet18|ResNet50|Xception)_(?P<dataset>cifar100|cifar10)_'
    r'threshold_(?P<parse>sparse|edge)_(?P<thr>[\d.]+)\.txt$')

# Paper names (Table 3/4) of the released D-DARTS searches. The paper does
# not say which file each DD-n model is: these are the unambiguous matches
# by data set, parse method and size; the rest are marked as uncertain.
_DD_NAMES = {
    ('cifar10', 'sparse', False): 'DD-1',
    ('cifar10', 'edge', False): 'DD-2 (probably: 8 cells, edge, CIFAR-10)',
    ('cifar100', 'sparse', True): 'DD-5 (probably: the only sparse '
                                  'CIFAR-100 search)',
    ('cifar100', 'edge', True): 'DD-4 or DD-6 (not stated)',
}


def ddarts_entry(fname, m):
    dataset, parse, abl = m['dataset'], m['parse'], bool(m['abl'])
    name = f'ddarts_{DATASETS[dataset]}_{parse}' + ('_abl' if abl else '')
    meta = {
        'family': 'D-DARTS', 'dataset': dataset, 'parse_method': parse,
        'threshold': float(m['thr']), 'search_epochs': int(m['epochs']),
        'paper_name': _DD_NAMES[(dataset, parse, abl)]}
    if abl:
        meta['loss_weights'] = {'w01': float(m['w01']),
                                'w_abl': float(m['w_abl'])}
    return name, meta


def dartopti_entry(fname, m):
    arch, dataset, parse = ARCHS[m['arch']], m['dataset'], m['parse']
    if parse == 'sparse':
        # The paper's DO-1 / DO-2 models are the sparse ones.
        paper = f'{PAPER_DATASET[dataset]}-{m["arch"]}'
        name = f'{PAPER_DATASET[dataset].lower().replace("-", "")}-{arch}_' \
               f'{DATASETS[dataset]}'
    else:
        paper = None
        name = f'do-{arch}_{DATASETS[dataset]}_edge'
    meta = {'family': 'DARTOpti', 'baseline': arch, 'dataset': dataset,
            'parse_method': parse, 'threshold': float(m['thr']),
            'paper_name': paper}
    return name, meta


def convert(ref_dir, out_dir, verbose=True):
    """Write every JSON genotype; return the README rows and the skipped
    files (with the reason)."""
    rows, skipped = [], []
    gdir = osp.join(ref_dir, 'd-darts', 'genotypes')
    for fname in sorted(os.listdir(gdir)):
        path = osp.join(gdir, fname)
        m = _DDARTS_RE.match(fname)
        if m:
            name, meta = ddarts_entry(fname, m)
        else:
            m = _DARTOPTI_RE.match(fname)
            if not m:
                skipped.append((fname, 'file name not recognised'))
                continue
            name, meta = dartopti_entry(fname, m)
        meta = {'source_file': f'reference/d-darts/genotypes/{fname}',
                'parse_source': 'mmddarts.structures.parse_legacy_genotype',
                **meta}
        with open(path) as f:
            text = f.read()
        try:
            # The reference derived cell skips edges whose source node has
            # no input (model.py DCOCell), so pruning them is faithful.
            geno = parse_legacy_genotype(text, source=path, meta=meta,
                                         dangling='prune')
        except GenotypeError as err:
            skipped.append((fname, str(err).replace(path + ': ', '')))
            continue
        if meta['family'] == 'D-DARTS':
            # The reference searched with reductions at N//3, 2N//3 (its
            # model_search.py) but wrote [2, 6] into these files, so its
            # derived nets used searched-normal cell 6 as a reduction and
            # searched-reduction cell 5 as a normal one. We keep the
            # positions the genes were searched for.
            legacy = list(geno.reductions)
            searched = list(default_reductions(geno.num_cells))
            if legacy != searched:
                new_meta = dict(geno.meta, legacy_reductions=legacy)
                geno = geno.replace(reductions=searched, meta=new_meta)
        geno.save(osp.join(out_dir, name + '.json'))
        rows.append((name, meta['source_file'], meta.get('paper_name'), geno))
        if verbose:
            print(f'{fname} -> {name}.json')

    tsv = osp.join(ref_dir, 'darts', 'genotypes.tsv')
    for key, text in read_genotype_table(tsv).items():
        name = key.lower().replace('_', '-')
        meta = {'source_file': 'reference/darts/genotypes.tsv',
                'source_name': key, 'family': 'DARTS', 'dataset': 'cifar10',
                'parse_method': 'darts',
                'search': 'first order' if key.endswith('V1')
                else 'second order',
                'paper_name': key}
        geno = parse_legacy_genotype(text, source=f'{tsv} [{key}]',
                                     num_cells=8, meta=meta)
        geno.save(osp.join(out_dir, name + '.json'))
        rows.append((name, f'{meta["source_file"]} [{key}]', key, geno))
        if verbose:
            print(f'{tsv} [{key}] -> {name}.json')

    for key in BASELINE_NAMES:
        geno = get_baseline(key)
        name = f'baseline-{key}'
        geno.save(osp.join(out_dir, name + '.json'))
        rows.append((name, 'mmddarts.structures.baselines', None, geno))
        if verbose:
            print(f'get_baseline({key!r}) -> {name}.json')
    return rows, skipped


README_HEAD = """\
# Genotypes

Ready-to-use genotypes in mmddarts' JSON format (`load_genotype(path)`,
or `genotype='configs/genotypes/NAME.json'` in a config). Generated by
`python tools/convert_genotypes.py` from the authors' released files
(parsed safely, never evaluated) - do not edit by hand, re-run the tool.
The released files are copied in `tests/data/reference/` (the tool's
default `--ref-dir`): `d-darts/genotypes/*.txt` from
https://github.com/aheuillet/D-DARTS, `darts/genotypes.tsv` from
https://github.com/quark0/darts; origin and licence notes in
`tests/data/reference/SOURCES_genotypes.md`.

## Naming scheme

| pattern | meaning |
|---|---|
| `ddarts_<data>_<parse>[_abl].json` | D-DARTS search (8 cells), `_abl` = searched with the ablation loss (w_abl 0.5, w01 7) |
| `do1-<net>_c10.json`, `do2-<net>_c100.json` | the paper's DO-1 / DO-2 DARTOpti models (sparse parse) |
| `do-<net>_<data>_edge.json` | DARTOpti search parsed with `edge` (not in the paper's tables) |
| `darts-v1.json`, `darts-v2.json` | DARTS' published cells stacked into 8 cells |
| `baseline-<net>.json` | handcrafted ResNet18 / ResNet50 / Xception (DARTOpti starting points) |

`<data>` is `c10` (CIFAR-10) or `c100` (CIFAR-100); every search used the
threshold 0.85. `meta` in each file keeps the source file, data set, parse
method, threshold, the legacy `concat` and the paper name.

## Files

| file | origin | paper name | cells | reductions | steps | op set | edges per gene |
|---|---|---|---|---|---|---|---|
"""

README_NOTES = """
## Notes on the conversion

- **Reductions of the D-DARTS files.** The released `D-DARTS_*` files say
  `reductions=[2, 6]`, but the reference search (`model_search.py`) places
  the reduction cells at `N//3, 2N//3` = 2 and 5 for its 8 cells, and its
  derived network (`model.py`) reads `genotype.reductions`: cell 5 was
  searched as a reduction cell and trained as a normal one, cell 6 the other
  way round. We keep the positions the genes were searched for (2, 5) and
  record the file's value in `meta.legacy_reductions`.
- **DARTOpti files** keep their reductions: ResNet18/ResNet50 are 4-cell
  networks with `reductions=range(1, 4)` (cells 1, 2, 3); Xception is a
  13-cell network with `reductions=[1, 2, 11, 12]` - two reductions in the
  entry flow, eight middle-flow cells (3..10), then two reductions, the last
  cell (12, the exit flow) being one. ResNet50 cells have 6 steps (nodes up
  to 7, legacy `concat=range(4, 8)`), the others 4.
- **`concat`.** Our cells concatenate every intermediate node with at least
  one input (as the reference's derived `DCOCell` does); the legacy `concat`
  is only kept in `meta.legacy_concat`.
- **Dangling edges.** An edge that reads an intermediate node without any
  input is dropped (`meta.pruned_dangling_edges`), as the reference's
  `DCOCell` skips it at run time.
- **DARTS V1/V2** are stacked into 8 cells (reductions 2, 5). For DARTS'
  own 20-cell evaluation network use
  `mmddarts.structures.expand_genotype(g, 20)`: it gives reductions 6, 13 and
  the normal gene everywhere else.
"""


def write_readme(rows, skipped, out_dir):
    lines = [README_HEAD]
    for name, origin, paper, g in sorted(rows, key=lambda r: r[0]):
        edges = '/'.join(str(len(gene)) for gene in g.genes)
        if len(g.genes) > 4:
            edges = f'{min(map(len, g.genes))}-{max(map(len, g.genes))}'
        lines.append(
            f'| `{name}.json` | `{origin}` | {paper or "-"} | {g.num_cells} | '
            f'{", ".join(map(str, g.reductions))} | {g.steps} | {g.op_set} | '
            f'{edges} |\n')
    if skipped:
        lines.append('\n## Not converted\n\n| origin | why |\n|---|---|\n')
        for fname, why in skipped:
            lines.append(f'| `reference/d-darts/genotypes/{fname}` | '
                         f'{why} |\n')
    lines.append(README_NOTES)
    with open(osp.join(out_dir, 'README.md'), 'w') as f:
        f.write(''.join(lines))


REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_REF_DIR = osp.join(REPO, 'tests', 'data', 'reference')
SOURCES = {
    'd-darts/genotypes': 'https://github.com/aheuillet/D-DARTS (genotypes/)',
    'darts/genotypes.tsv': 'https://github.com/quark0/darts (genotypes.py, '
                           'DARTS_V1 and DARTS_V2)',
}


def check_ref_dir(ref_dir):
    """Exit with one line when ``ref_dir`` lacks the released files."""
    missing = [rel for rel in SOURCES
               if not osp.exists(osp.join(ref_dir, rel))]
    if missing:
        raise SystemExit(
            f'error: {ref_dir}: no {" or ".join(missing)} there (--ref-dir '
            'must hold d-darts/genotypes/*.txt and darts/genotypes.tsv, as '
            'tests/data/reference/ does)')


def parse_args(argv=None):
    here = REPO
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--ref-dir', default=DEFAULT_REF_DIR,
        help='folder holding d-darts/genotypes/ and darts/genotypes.tsv '
        '(default: the copies shipped in tests/data/reference/)')
    parser.add_argument('--out-dir',
                        default=osp.join(here, 'configs', 'genotypes'))
    parser.add_argument('--no-readme', action='store_true',
                        help='do not rewrite the README table')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    check_ref_dir(args.ref_dir)
    for rel, origin in SOURCES.items():
        print(f'reading {osp.join(args.ref_dir, rel)} (from {origin})')
    os.makedirs(args.out_dir, exist_ok=True)
    rows, skipped = convert(args.ref_dir, args.out_dir)
    for fname, why in skipped:
        print(f'skipped {fname}: {why}')
    if not args.no_readme:
        write_readme(rows, skipped, args.out_dir)
    print(f'{len(rows)} genotypes written to {args.out_dir}')


if __name__ == '__main__':
    main()
