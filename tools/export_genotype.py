"""Export the genotypes of a search checkpoint (the alphas it holds).

Usage::

    python tools/export_genotype.py CONFIG CHECKPOINT \
        [--methods sparse edge] [--threshold 0.85] [--out-dir DIR] [--strict]

Writes ``genotype_<method>.json`` for each parsing method (default: the
model's ``parse_methods``) into ``--out-dir`` (default: the checkpoint's
folder). A cell with no op above the threshold gets the strongest op into
node 2 with a warning naming the cell, the op and its weight (recorded in
``meta['empty_fallback']``); with ``--strict`` that is an error (exit 1) and
nothing is written for that method.
"""
import argparse
import os
import os.path as osp
import sys
import warnings

from mmengine.config import Config
from mmengine.runner import load_checkpoint

from mmddarts.registry import MODELS
from mmddarts.setup_env import register_all_modules
from mmddarts.structures.parsing import EmptyGeneError, EmptyGeneWarning


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Export the genotypes of a search checkpoint.')
    parser.add_argument('config', help='the search config')
    parser.add_argument('checkpoint', help='a search checkpoint (.pth)')
    parser.add_argument('--methods', nargs='+', default=None,
                        help="parsing methods (default: the model's)")
    parser.add_argument('--threshold', type=float, default=None,
                        help="sparse / edge threshold (default: the model's)")
    parser.add_argument('--out-dir', default=None,
                        help="default: the checkpoint's folder")
    parser.add_argument('--strict', action='store_true',
                        help='a cell with no op above the threshold is an '
                        'error instead of a warned fallback')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu')
    methods = args.methods or list(model.parse_methods)
    thr = model.threshold if args.threshold is None else args.threshold
    out_dir = args.out_dir or osp.dirname(osp.abspath(args.checkpoint))
    os.makedirs(out_dir, exist_ok=True)
    failed = False
    for method in methods:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always', EmptyGeneWarning)
            try:
                geno = model.architecture.genotype(
                    method=method, threshold=thr, strict=args.strict)
            except EmptyGeneError as err:
                print(f'error: {method}: {err}', file=sys.stderr)
                failed = True
                continue
        for w in caught:
            print(f'warning: {method}: {w.message}', file=sys.stderr)
        geno = geno.replace(meta=dict(geno.meta, checkpoint=args.checkpoint))
        path = osp.join(out_dir, f'genotype_{method}.json')
        geno.save(path)
        print(f'{path}: {geno.num_cells} cells, '
              f"{len(geno.meta.get('empty_fallback', []))} empty-gene "
              'fallback(s)')
    if failed:
        sys.exit(1)


if __name__ == '__main__':
    main()
