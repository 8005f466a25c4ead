"""Export the genotypes of a search checkpoint (the alphas it holds).

Usage::

    python tools/export_genotype.py [CONFIG] CHECKPOINT \
        [--methods sparse edge] [--threshold 0.85] [--out-dir DIR] [--strict]
        [--cfg-options k=v ...]

Without CONFIG the supernet is rebuilt from the structure the checkpoint
records (``architecture._extra_state``; checkpoints written before it was
recorded need the config). With CONFIG (and the ``--cfg-options`` of the
search) the config's supernet is built and the checkpoint must fit it
exactly: a missing, unexpected or differently shaped tensor is an error
naming the mismatch and the fix, never a genotype parsed from partly
untrained alphas. A training checkpoint is refused (its genotype is already
recorded in it).

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

from mmengine.config import DictAction

from mmddarts.setup_env import register_all_modules
from mmddarts.structures.parsing import EmptyGeneError, EmptyGeneWarning


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Export the genotypes of a search checkpoint.')
    parser.add_argument('inputs', nargs='+', metavar='[CONFIG] CHECKPOINT',
                        help='a search checkpoint (.pth), optionally after '
                        'the search config it was written with')
    parser.add_argument('--methods', nargs='+', default=None,
                        help="parsing methods (default: the model's)")
    parser.add_argument('--threshold', type=float, default=None,
                        help="sparse / edge threshold (default: the model's)")
    parser.add_argument('--out-dir', default=None,
                        help="default: the checkpoint's folder")
    parser.add_argument('--strict', action='store_true',
                        help='a cell with no op above the threshold is an '
                        'error instead of a warned fallback')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of CONFIG (the search\'s '
                        'own --cfg-options)')
    args = parser.parse_args(argv)
    if len(args.inputs) > 2:
        parser.error('give [CONFIG] CHECKPOINT')
    args.config = args.inputs[0] if len(args.inputs) == 2 else None
    args.checkpoint = args.inputs[-1]
    if args.cfg_options and args.config is None:
        parser.error('--cfg-options needs CONFIG')
    return args


def _from_config(args, checkpoint):
    """(supernet, parse defaults) of CONFIG, loaded strictly."""
    from mmddarts.registry import MODELS
    from mmddarts.utils.cli_inputs import load_config
    from mmddarts.utils.config_utils import apply_cfg_options
    from mmddarts.models.strict_load import load_strict
    cfg = load_config(args.config)
    apply_cfg_options(cfg, args.cfg_options)
    model = MODELS.build(cfg.model)
    if not hasattr(model, 'architecture'):
        raise SystemExit(f'error: {args.config} is not a search config '
                         f'(its model is a {type(model).__name__}); give '
                         'the search config, or no config')
    load_strict(model, checkpoint, where='export_genotype.py',
                ckpt_name=args.checkpoint, config=args.config)
    return model.architecture, dict(parse_methods=model.parse_methods,
                                    threshold=model.threshold)


def _from_record(args, checkpoint, state):
    """(supernet, parse defaults) rebuilt from the checkpoint's records."""
    from mmddarts.models.search.supernet_arch import (
        SEARCH_FORMAT, SUPERNET_FORMAT, build_supernet_from_record,
        decode_record)
    from mmddarts.models.strict_load import load_strict
    rec = decode_record(state.get('architecture._extra_state'),
                        SUPERNET_FORMAT)
    if rec is None:
        raise SystemExit(
            f'error: {args.checkpoint} records no supernet structure '
            '(written before mmddarts recorded it): give the search config '
            'and the --cfg-options it was searched with: python '
            'tools/export_genotype.py CONFIG CHECKPOINT [--cfg-options ...]')
    net = build_supernet_from_record(rec)
    sub = {k[len('architecture.'):]: v for k, v in state.items()
           if k.startswith('architecture.')}
    load_strict(net, dict(state_dict=sub), where='export_genotype.py',
                ckpt_name=args.checkpoint)
    search = decode_record(state.get('_extra_state'), SEARCH_FORMAT) or {}
    return net, dict(
        parse_methods=search.get('parse_methods', ('sparse', 'edge',
                                                   'darts')),
        threshold=search.get('threshold', 0.85))


def main(argv=None):
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    from mmddarts.utils.cli_inputs import require_file
    from mmddarts.models.strict_load import (CheckpointMismatchError,
                                             read_checkpoint, state_dict_of,
                                             state_kind)
    require_file(args.checkpoint, 'checkpoint')
    checkpoint = read_checkpoint(args.checkpoint)
    state = state_dict_of(checkpoint)
    if state_kind(state) != 'search':
        raise SystemExit(
            f'error: {args.checkpoint} is not a search checkpoint (no '
            'supernet alphas): a training checkpoint already records its '
            'genotype (tools/test.py reads it); export from the search\'s '
            'checkpoint, e.g. work_dirs/search/<config>/epoch_N.pth')
    try:
        if args.config:
            arch, defaults = _from_config(args, checkpoint)
        else:
            arch, defaults = _from_record(args, checkpoint, state)
    except CheckpointMismatchError as err:
        raise SystemExit(f'error: {err}') from None
    methods = args.methods or list(defaults['parse_methods'])
    thr = defaults['threshold'] if args.threshold is None else \
        args.threshold
    out_dir = args.out_dir or osp.dirname(osp.abspath(args.checkpoint))
    os.makedirs(out_dir, exist_ok=True)
    failed = False
    for method in methods:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always', EmptyGeneWarning)
            try:
                geno = arch.genotype(
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
