"""Offline end-to-end demo: search, derive, train, test — on built-in data.

1. a D-DARTS search (individual cells, the ablation loss logged as in the
   authors' code: the config's ``ablation='reference'``) on scikit-learn's
   handwritten digits (``configs/search/ddarts_digits.py``);
2. the searched ``sparse`` genotype is drawn and trained as a derived network
   (``configs/train/ddarts_digits.py``);
3. the trained network is tested on the held-out digits split.

Everything goes through the real ``tools/train.py`` / ``tools/test.py`` entry
points, so this is exactly what a user would run by hand::

    python tools/demo.py [--work-dir work_dirs/demo] [--search-epochs N]
                         [--train-epochs N]
"""
import argparse
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs',
                                                       'demo'))
    parser.add_argument('--search-epochs', type=int, default=None,
                        help='override the search config\'s epochs')
    parser.add_argument('--train-epochs', type=int, default=10,
                        help='epochs of the derived network\'s training '
                        '(the searched cells are small: 10 take ~1 minute)')
    parser.add_argument('--method', default='sparse',
                        choices=['sparse', 'edge', 'darts'],
                        help='parsing method of the genotype to train')
    return parser.parse_args()


def fallback_genes(geno):
    """Genes of a genotype dict that are empty-gene fallbacks."""
    value = (geno.get('meta') or {}).get('empty_fallback') or []
    value = value if isinstance(value, list) else [value]
    return {int(v['owner']) if isinstance(v, dict) else int(v)
            for v in value}


def run(cmd, log_path):
    """Run a tool, teeing its output to ``log_path``; stop on failure."""
    print('$', ' '.join(cmd), flush=True)
    with open(log_path, 'w') as log:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)
        for line in proc.stdout:
            log.write(line)
            # Keep the console readable: epoch summaries and errors only.
            if ('Epoch(val)' in line or 'Epoch(test)' in line
                    or 'Error' in line or 'genotype' in line.lower()
                    and 'INFO' in line):
                print('   ', line.rstrip()[-160:], flush=True)
        code = proc.wait()
    if code != 0:
        with open(log_path) as f:
            tail = f.readlines()[-30:]
        sys.stderr.write(''.join(tail))
        sys.exit(f'demo: {cmd[1]} failed with exit code {code} '
                 f'(full log: {log_path})')


def main():
    args = parse_args()
    py = sys.executable
    search_dir = osp.join(args.work_dir, 'search')
    train_dir = osp.join(args.work_dir, 'train')
    os.makedirs(args.work_dir, exist_ok=True)
    t0 = time.time()

    cmd = [py, 'tools/train.py', 'configs/search/ddarts_digits.py',
           '--work-dir', search_dir]
    if args.search_epochs:
        cmd += ['--cfg-options', f'train_cfg.max_epochs={args.search_epochs}']
    run(cmd, osp.join(args.work_dir, 'search.log'))
    t_search = time.time() - t0

    genotype = osp.join(search_dir, f'genotype_{args.method}_final.json')
    if not osp.isfile(genotype):
        sys.exit(f'demo: the search did not write {genotype}')
    with open(genotype) as f:
        geno = json.load(f)
    print(f'searched genotype ({args.method}): {genotype}')
    fallback = fallback_genes(geno)
    for cell, gene in enumerate(geno['seq']):
        kind = 'reduction' if cell in geno['reductions'] else 'normal'
        edges = ', '.join(f'{op} {to}<-{src}'
                          for op, to, src in geno['genes'][gene])
        mark = ('  [empty-gene fallback: no op passed the threshold]'
                if gene in fallback else '')
        print(f'  cell {cell} ({kind}): {edges}{mark}')

    t1 = time.time()
    cmd = [py, 'tools/train.py', 'configs/train/ddarts_digits.py',
           '--work-dir', train_dir, '--cfg-options',
           f'model.backbone.genotype={genotype}',
           f'model.backbone.num_cells={len(geno["seq"])}']
    if args.train_epochs:
        cmd += [f'train_cfg.max_epochs={args.train_epochs}']
    run(cmd, osp.join(args.work_dir, 'train.log'))
    t_train = time.time() - t1

    ckpt_link = osp.join(train_dir, 'last_checkpoint')
    with open(ckpt_link) as f:
        ckpt = f.read().strip()
    test_log = osp.join(args.work_dir, 'test.log')
    run([py, 'tools/test.py', 'configs/train/ddarts_digits.py', ckpt,
         '--work-dir', osp.join(args.work_dir, 'test'), '--cfg-options',
         f'model.backbone.genotype={genotype}',
         f'model.backbone.num_cells={len(geno["seq"])}'], test_log)
    with open(test_log) as f:
        found = re.findall(r'accuracy/top1: ([0-9.]+)', f.read())
    if not found:
        sys.exit(f'demo: no accuracy in {test_log}')
    print(f'\nsearch {t_search:.0f} s, training {t_train:.0f} s')
    print(f'derived network test accuracy on held-out digits: '
          f'{float(found[-1]):.2f}% (chance: 10%)')


if __name__ == '__main__':
    main()
