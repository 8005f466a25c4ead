"""What ``tools/train.py`` does to a config before building the Runner, as
functions that other scripts (``tools/analysis_tools/amp_resume_check.py``)
reuse instead of loading the tool."""
from mmengine.config import Config
from mmengine.runner import Runner

from mmddarts.models.backbones.derived_checkpoint import \
    resolve_checkpoint_genotypes
from mmddarts.utils.config_utils import apply_cfg_options
from mmddarts.engine.run_checks import (check_amp_options, default_work_dir,
                                        resolve_resume)
from .optimizers.amp_options import has_accelerator, set_amp


class TrainArgsError(ValueError):
    """A command-line option of ``tools/train.py`` that cannot be applied;
    the tool exits with its message."""


def merge_train_args(cfg: Config, args) -> Config:
    """Apply ``tools/train.py``'s command line (``args``: its parsed
    namespace) to the config, in place; returns it.

    Raises:
        TrainArgsError: an option the config or the machine cannot honour
            (``--amp`` without an accelerator, ``--auto-scale-lr`` without
            ``auto_scale_lr.base_batch_size``).
    """
    apply_cfg_options(cfg, args.cfg_options)

    cfg.launcher = args.launcher
    # work_dir: command line > config > ./work_dirs/<search|train>/<name>
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = default_work_dir(cfg, args.config)

    if args.amp:
        if not has_accelerator():
            raise TrainArgsError(
                'Error: --amp needs a GPU (or NPU/MLU): mmengine cannot build '
                'an AmpOptimWrapper on a CPU-only machine. Run without --amp.')
        try:
            set_amp(cfg.optim_wrapper)
        except ValueError as err:
            raise TrainArgsError(f'Error: {err}') from None
    check_amp_options(cfg)  # dtype / loss_scale without --amp

    resolve_resume(cfg, args.resume)  # nothing to resume: an error

    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None

    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or \
                'base_batch_size' not in cfg.auto_scale_lr:
            raise TrainArgsError(
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
