"""Offline end-to-end demo: search, derive, train, test — on built-in data.

``--dataset digits`` (the default) uses scikit-learn's digits, shipped
inside scikit-learn; ``--dataset fashion-mnist`` the real Fashion-MNIST
(``apt-get install dataset-fashion-mnist``; ``configs/search/
ddarts_fmnist.py`` and ``configs/train/ddarts_fmnist.py``, CPU-sized: a
2,000-image 16x16 search, then 5 epochs on 10,000 training images, tested
on all 10,000 test images).

1. a D-DARTS search (individual cells, the ablation loss logged as in the
   authors' code: the config's ``ablation='reference'``) on scikit-learn's
   handwritten digits (``configs/search/ddarts_digits.py``);
2. the searched ``sparse`` genotype is drawn and trained as a derived network
   (``configs/train/ddarts_digits.py``);
3. the trained network is tested on the held-out digits split.

Everything goes through the real ``tools/train.py`` / ``tools/test.py`` entry
points, so this is exactly what a user would run by hand::

    python tools/demo.py [--dataset digits|fashion-mnist] [--data-root DIR]
                         [--work-dir work_dirs/demo] [--search-epochs N]
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
# dataset -> (search config, train config, default training epochs)
DATASETS = {
    'digits': ('configs/search/ddarts_digits.py',
               'configs/train/ddarts_digits.py', 10),
    'fashion-mnist': ('configs/search/ddarts_fmnist.py',
                      'configs/train/ddarts_fmnist.py', None),
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--dataset', choices=sorted(DATASETS),
                        default='digits',
                        help='digits (built in) or fashion-mnist (the '
                        'Debian package dataset-fashion-mnist)')
    parser.add_argument('--data-root', default=None,
                        help='fashion-mnist: folder of the idx files '
                        '(default /usr/share/datasets/fashion-mnist)')
    parser.add_argument('--work-dir', default=None,
                        help='default: work_dirs/demo (digits), '
                        'work_dirs/demo_fmnist (fashion-mnist)')
    parser.add_argument('--search-epochs', type=int, default=None,
                        help='override the search config\'s epochs')
    parser.add_argument('--train-epochs', type=int, default=None,
                        help='epochs of the derived network\'s training '
                        '(default: 10 for digits, ~1 minute; the config\'s '
                        '5 for fashion-mnist)')
    parser.add_argument('--method', default='sparse',
                        choices=['sparse', 'edge', 'darts'],
                        help='parsing method of the genotype to train')
    args = parser.parse_args()
    if args.work_dir is None:
        name = 'demo' if args.dataset == 'digits' else 'demo_fmnist'
        args.work_dir = osp.join(ROOT, 'work_dirs', name)
    if args.train_epochs is None:
        args.train_epochs = DATASETS[args.dataset][2]
    if args.data_root and args.dataset == 'digits':
        parser.error('--data-root is for --dataset fashion-mnist (the '
                     'digits ship inside scikit-learn)')
    return args


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
    search_cfg, train_cfg, _ = DATASETS[args.dataset]
    data = [f'data_root={args.data_root}'] if args.data_root else []
    t0 = time.time()

    cmd = [py, 'tools/train.py', search_cfg, '--work-dir', search_dir]
    options = list(data)
    if args.search_epochs:
        options.append(f'train_cfg.max_epochs={args.search_epochs}')
    if options:
        cmd += ['--cfg-options'] + options
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
    cmd = [py, 'tools/train.py', train_cfg,
           '--work-dir', train_dir, '--cfg-options',
           f'model.backbone.genotype={genotype}',
           f'model.backbone.num_cells={len(geno["seq"])}'] + data
    if args.train_epochs:
        cmd += [f'train_cfg.max_epochs={args.train_epochs}']
        if args.dataset != 'digits':  # tested after the last epoch only
            cmd += [f'train_cfg.val_interval={args.train_epochs}']
    run(cmd, osp.join(args.work_dir, 'train.log'))
    t_train = time.time() - t1

    ckpt_link = osp.join(train_dir, 'last_checkpoint')
    with open(ckpt_link) as f:
        ckpt = f.read().strip()
    test_log = osp.join(args.work_dir, 'test.log')
    run([py, 'tools/test.py', train_cfg, ckpt,
         '--work-dir', osp.join(args.work_dir, 'test'), '--cfg-options',
         f'model.backbone.genotype={genotype}',
         f'model.backbone.num_cells={len(geno["seq"])}'] + data, test_log)
    with open(test_log) as f:
        found = re.findall(r'accuracy/top1: ([0-9.]+)', f.read())
    if not found:
        sys.exit(f'demo: no accuracy in {test_log}')
    print(f'\nsearch {t_search:.0f} s, training {t_train:.0f} s')
    what = 'held-out digits' if args.dataset == 'digits' else \
        'the Fashion-MNIST test split'
    print(f'derived network test accuracy on {what}: '
          f'{float(found[-1]):.2f}% (chance: 10%)')


if __name__ == '__main__':
    main()
