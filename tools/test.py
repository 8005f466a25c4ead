"""Evaluate a checkpoint with an mmengine Runner.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE.pkl]
        [--genotype {checkpoint,config}] [--cfg-options k=v ...]
        [--launcher pytorch]

The checkpoint must hold exactly the model's tensors (a missing, unexpected
or differently shaped one is an error naming it, never a test of a partly
random model). Derived networks are built with the genotype the checkpoint
records (``--genotype checkpoint``, default), so a checkpoint trained with
``--cfg-options model.backbone.genotype=...`` scores its own network.
"""
import argparse
import sys

from mmengine.config import Config, DictAction
from mmengine.evaluator import DumpResults
from mmengine.runner import Runner

import mmddarts  # noqa: F401
from mmddarts.models.backbones.derived_checkpoint import \
    resolve_checkpoint_genotypes
from mmddarts.setup_env import register_all_modules
from mmddarts.utils import init_cpu_dist_if_needed
from mmddarts.utils.cli_args import add_launcher_args, apply_local_rank
from mmddarts.utils.cli_inputs import load_config, require_file
from mmddarts.utils.config_utils import apply_cfg_options
from mmddarts.utils.dist_utils import (describe_devices,
                                       process_group_session,
                                       record_effective_backend)
from mmddarts.engine.run_checks import default_work_dir
from mmddarts.models.strict_load import (CheckpointMismatchError,
                                         check_checkpoint)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics '
                        '(default: work_dirs/test/<config name>)')
    parser.add_argument(
        '--out', help='also dump every prediction to this pickle file')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as key=value pairs; '
        'data_root=DIR also replaces the data root of every dataloader '
        'and of the evaluators\' paths under it (e.g. ann_file)')
    parser.add_argument(
        '--genotype',
        choices=['checkpoint', 'config'],
        default='checkpoint',
        help='checkpoint (default): build every derived network (DDartsNet '
        'backbone) with the genotype, cell count, channels and stem the '
        'checkpoint records; config: build the config\'s network and refuse '
        'a checkpoint of another one (the error names the first differing '
        'cell/edge)')
    add_launcher_args(parser)
    return apply_local_rank(parser.parse_args(argv))


def merge_args(cfg: Config, args) -> Config:
    apply_cfg_options(cfg, args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        # not the training's folder: the Runner dumps the config there
        cfg.work_dir = default_work_dir(cfg, args.config, kind='test')
    cfg.load_from = args.checkpoint
    resolve_checkpoint_genotypes(cfg, args.checkpoint,
                                 every=args.genotype == 'checkpoint',
                                 where='tools/test.py')
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        raise SystemExit('Error: --out must be a .pkl/.pickle file')
    return cfg


def main(argv=None):
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    cfg = load_config(args.config)
    if '://' not in args.checkpoint:  # URLs are fetched by the Runner
        require_file(args.checkpoint, 'checkpoint')
    init_cpu_dist_if_needed(args.launcher)
    # as tools/train.py: the process group goes at the end or on an error
    with process_group_session(args.launcher):
        run_test(cfg, args)


def run_test(cfg, args):
    cfg = merge_args(cfg, args)
    configured_backend = record_effective_backend(cfg)
    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        from mmengine.registry import RUNNERS
        runner = RUNNERS.build(cfg)
    runner.logger.info(describe_devices(configured_backend))
    # the Runner's load_from skips what does not fit; refuse it instead
    if '://' not in args.checkpoint:
        try:
            check_checkpoint(runner.model, args.checkpoint,
                             where='tools/test.py', config=args.config)
        except CheckpointMismatchError as err:
            raise SystemExit(f'error: {err}') from None
    if args.out is not None:
        runner.test_evaluator.metrics.append(
            DumpResults(out_file_path=args.out))
    metrics = runner.test()
    print(f'Test metrics: {metrics}')


if __name__ == '__main__':
    sys.exit(main())
