"""Train a model (search or derived network) with an mmengine Runner.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT|auto]]
        [--amp] [--auto-scale-lr] [--cfg-options k=v ...]
        [--launcher pytorch] [--no-preflight] [--auto-batch]

The default work dir is ``work_dirs/search/<config name>`` for a search
config and ``work_dirs/train/<config name>`` for every other one, and a work
dir whose last checkpoint another config or kind of run wrote is refused
(:mod:`mmddarts.utils.run_checks`). ``--resume`` alone resumes the work
dir's last checkpoint and is an error when there is none; ``--resume auto``
resumes it if there is one and starts fresh otherwise.
"""
import argparse
import os
import sys

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

# Importing mmddarts registers its modules; the helpers below register the
# torch >= 2.6 checkpoint loader as well.
import mmddarts  # noqa: F401
from mmddarts.engine.optimizers.amp_options import canonical_dtype
from mmddarts.utils import init_cpu_dist_if_needed, register_all_modules
from mmddarts.utils.cli_inputs import load_config
from mmddarts.utils.config_utils import apply_cfg_options
from mmddarts.utils.gpu_checks import (check_torch_sees_gpus,
                                      prepare_deterministic)
from mmddarts.utils.derived_checkpoint import resolve_checkpoint_genotypes
from mmddarts.utils.oom_guard import oom_guard
from mmddarts.utils.preflight import add_preflight_args, run_preflight
from mmddarts.utils.run_checks import (check_amp_options, check_data_paths,
                                       check_stats_files,
                                       check_work_dir_owner,
                                       default_work_dir, resolve_resume)
from mmddarts.utils.consumed_vars import warn_consumed_variables
from mmddarts.utils.dist_utils import (describe_devices,
                                       process_group_session,
                                       record_effective_backend)

AMP_WRAPPER = 'AmpOptimWrapper'


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
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    add_preflight_args(parser)  # --no-preflight, --auto-batch
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def has_accelerator() -> bool:
    """What mmengine's AmpOptimWrapper asserts at construction."""
    from mmengine.device import (is_cuda_available, is_mlu_available,
                                 is_npu_available)
    import mmengine.device as dev
    musa = getattr(dev, 'is_musa_available', lambda: False)
    return (is_cuda_available() or is_npu_available() or is_mlu_available()
            or musa())


def _set_amp(wrapper: dict, inherited=()) -> None:
    """Turn one optimizer-wrapper config, or each member of a dict of
    wrappers (OptimWrapperDict, as in bi-level search), into AMP."""
    is_dict = str(wrapper.get('type', '')).endswith('OptimWrapperDict')
    if 'optimizer' in wrapper or ('type' in wrapper and not is_dict):
        if wrapper.get('type', 'OptimWrapper') in (AMP_WRAPPER,
                                                   f'mmengine.{AMP_WRAPPER}'):
            print('WARNING: AMP is already enabled in the config.')
            return
        wrapper['type'] = AMP_WRAPPER
        if 'loss_scale' not in inherited:  # else the top level's applies
            wrapper.setdefault('loss_scale', 'dynamic')
        if 'dtype' in wrapper:  # typos must not fall back to fp16
            wrapper['dtype'] = canonical_dtype(wrapper['dtype'],
                                               'optim_wrapper')
        return
    # members are wrapper configs; paramwise_cfg and the like are not
    members = [
        v for v in wrapper.values()
        if isinstance(v, dict) and ('optimizer' in v or 'type' in v)
    ]
    if not members:
        raise SystemExit('--amp: optim_wrapper has neither an optimizer nor '
                         'member wrappers to switch to AMP')
    shared = tuple(k for k in ('loss_scale', 'dtype') if k in wrapper)
    for member in members:
        _set_amp(member, shared)


def merge_args(cfg: Config, args) -> Config:
    """Apply the command line to the config."""
    apply_cfg_options(cfg, args.cfg_options)

    cfg.launcher = args.launcher
    # work_dir: command line > config > ./work_dirs/<search|train>/<name>
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = default_work_dir(cfg, args.config)

    if args.amp:
        if not has_accelerator():
            raise SystemExit(
                'Error: --amp needs a GPU (or NPU/MLU): mmengine cannot build '
                'an AmpOptimWrapper on a CPU-only machine. Run without --amp.')
        _set_amp(cfg.optim_wrapper)
    check_amp_options(cfg)  # dtype / loss_scale without --amp

    resolve_resume(cfg, args.resume)  # nothing to resume: an error

    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None

    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or \
                'base_batch_size' not in cfg.auto_scale_lr:
            raise SystemExit(
                'Error: --auto-scale-lr needs `auto_scale_lr = dict('
                'base_batch_size=...)` in the config')
        cfg.auto_scale_lr.enable = True
    # genotype='from_checkpoint': build derived networks as load_from's
    resolve_checkpoint_genotypes(cfg, cfg.get('load_from'),
                                 where='tools/train.py')
    return cfg


def build_runner(cfg: Config):
    """mmengine's Runner, or the one the config names in ``runner_type``."""
    if 'runner_type' not in cfg:
        return Runner.from_cfg(cfg)
    from mmengine.registry import RUNNERS
    return RUNNERS.build(cfg)


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
    cfg = merge_args(cfg, args)
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
