"""Train a model (search or derived network) with an mmengine Runner.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT|auto]]
        [--amp] [--auto-scale-lr] [--cfg-options k=v ...]
        [--launcher pytorch] [--no-preflight] [--auto-batch]

The default work dir is ``work_dirs/search/<config name>`` for a search
config and ``work_dirs/train/<config name>`` for every other one, and a work
dir whose last checkpoint another config or kind of run wrote is refused
(:mod:`mmddarts.engine.run_checks`). ``--resume`` alone resumes the work
dir's last checkpoint and is an error when there is none; ``--resume auto``
resumes it if there is one and starts fresh otherwise.
"""
import argparse
import sys

from mmengine.config import DictAction

# Importing mmddarts registers its modules; the helpers below register the
# torch >= 2.6 checkpoint loader as well.
import mmddarts  # noqa: F401
from mmddarts.engine.runner_setup import (TrainArgsError, build_runner,
                                          merge_train_args)
from mmddarts.memory.oom_guard import oom_guard
from mmddarts.memory.preflight import add_preflight_args, run_preflight
from mmddarts.setup_env import register_all_modules
from mmddarts.utils import init_cpu_dist_if_needed
from mmddarts.utils.cli_args import add_launcher_args, apply_local_rank
from mmddarts.utils.cli_inputs import load_config
from mmddarts.engine.run_checks import (check_data_paths, check_stats_files,
                                        check_work_dir_owner)
from mmddarts.utils.consumed_vars import warn_consumed_variables
from mmddarts.utils.dist_utils import (describe_devices,
                                       process_group_session,
                                       record_effective_backend)
from mmddarts.utils.gpu_checks import (check_torch_sees_gpus,
                                       prepare_deterministic)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='latest',
        help='resume from the given checkpoint; without a path, from the '
        'work dir\'s last checkpoint (an error when there is none); '
        '"auto": that checkpoint if there is one, else start fresh')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed precision training (needs a GPU or another accelerator)')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='do not evaluate checkpoints during training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate linearly with the total batch size '
        '(the config\'s auto_scale_lr.base_batch_size is the reference)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as key=value pairs '
        '(e.g. train_cfg.max_epochs=2 "model.backbone.channels=8"); '
        'data_root=DIR also replaces the data root of every dataloader '
        'and of the evaluators\' paths under it (e.g. ann_file)')
    add_launcher_args(parser)
    add_preflight_args(parser)  # --no-preflight, --auto-batch
    return apply_local_rank(parser.parse_args(argv))


def main(argv=None):
    args = parse_args(argv)
    # The config's default_scope decides how plain names resolve.
    register_all_modules(init_default_scope=False)
    cfg = load_config(args.config)
    check_torch_sees_gpus()
    init_cpu_dist_if_needed(args.launcher)
    # The process group goes when training ends or fails, on every rank, so
    # the exit status is the run's (0 exactly when it succeeded); the Runner
    # lives in train()'s frame only, freed before the group is destroyed.
    with process_group_session(args.launcher):
        train(cfg, args)


def train(cfg, args):
    warn_consumed_variables(cfg, args.cfg_options)
    try:
        cfg = merge_train_args(cfg, args)
    except TrainArgsError as err:
        raise SystemExit(str(err))
    prepare_deterministic(cfg)
    configured_backend = record_effective_backend(cfg)
    # cheap checks first: nothing slow has run, nothing is overwritten yet
    check_work_dir_owner(cfg, args.config)
    check_data_paths(cfg)
    check_stats_files(cfg)
    # search configs: memory check / --auto-batch before any data loader
    run_preflight(cfg, args.no_preflight, args.auto_batch)
    runner = build_runner(cfg)
    runner.logger.info(describe_devices(configured_backend))
    with oom_guard(runner, args.config):  # OOM mid-search: report, exit
        runner.train()


if __name__ == '__main__':
    sys.exit(main())
