"""ACA channel allocation from a search checkpoint (docs/aca.md).

Usage::

    python tools/aca_allocate.py CONFIG CHECKPOINT --out FILE \
        [--importance output|taylor|bn_gamma] \
        [--allocator otsu|proportional|fixed_ratio] \
        [--parse-method darts|sparse|edge] [--calib-batches N] [--seed S] \
        [--cfg-options KEY=VALUE ...]

Parses the checkpoint's alphas (``--parse-method``, default the config's
``aca.parse_method`` or the model's first parse method), ranks each kept
edge's channels on the checkpoint's supernet over ``--calib-batches``
batches of the config's architecture split, allocates them and writes the
genotype (format version 2, with ``allocations``) to ``--out``. Defaults
come from the config's ``aca`` dict. The checkpoint is only read.
"""
import argparse
import os.path as osp

from mmengine.config import DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='ACA channel allocation of a search checkpoint')
    parser.add_argument('config', help='the search config')
    parser.add_argument('checkpoint', help='a search checkpoint (.pth)')
    parser.add_argument('--out', required=True,
                        help='genotype JSON to write')
    parser.add_argument('--importance', default=None,
                        help='output (default), taylor or bn_gamma')
    parser.add_argument('--allocator', default=None,
                        help='otsu (default), proportional or fixed_ratio '
                        '(ablation)')
    parser.add_argument('--parse-method', default=None,
                        choices=('darts', 'sparse', 'edge'))
    parser.add_argument('--calib-batches', type=int, default=None)
    parser.add_argument('--seed', type=int, default=None)
    parser.add_argument('--draw', action='store_true',
                        help='also write the drawing next to --out (.png)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint

    from mmddarts.engine.aca_allocation import aca_genotype, aca_options
    from mmddarts.registry import MODELS
    from mmddarts.setup_env import register_all_modules
    from mmddarts.utils.cli_inputs import load_config, require_file
    cfg = load_config(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    require_file(args.checkpoint, 'checkpoint')
    register_all_modules(init_default_scope=False)
    init_default_scope(cfg.get('default_scope', 'mmddarts'))
    try:
        opts = aca_options(cfg.get('aca'), importance=args.importance,
                           allocator=args.allocator,
                           parse_method=args.parse_method,
                           calib_batches=args.calib_batches, seed=args.seed)
    except (KeyError, ValueError) as err:
        raise SystemExit(f'error: {err}') from None
    # as mmengine's Runner does: the config's top-level preprocessor
    # (normalisation) is the model's unless the model names its own
    if cfg.get('data_preprocessor') is not None:
        cfg.model.setdefault('data_preprocessor', cfg.data_preprocessor)
    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu')
    try:
        geno = aca_genotype(model, cfg, opts)
    except (KeyError, ValueError) as err:
        raise SystemExit(f'error: {err}') from None
    geno = geno.replace(meta=dict(geno.meta, checkpoint=args.checkpoint))
    geno.save(args.out)
    if args.draw:
        from mmddarts.visualization import draw_genotype
        draw_genotype(geno, osp.splitext(args.out)[0] + '.png')
    shares = [round(1 - a.fraction, 3) for gene in geno.allocations
              for a in gene]
    print(f'{args.out}: {geno.num_cells} cells, {len(geno.genes)} gene(s); '
          f'identity share per edge {shares}')
    return geno


if __name__ == '__main__':
    main()
