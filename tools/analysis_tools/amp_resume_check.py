"""Check that ``--resume`` of an AMP search restores each optimizer's loss
scale (stage a of tools/gpu_acceptance.sh; needs a GPU for AMP).

    python tools/analysis_tools/amp_resume_check.py CONFIG DATA_ROOT WORK_DIR \
        [--dtype float16] [--cfg-options ...]

Run 1: ``tools/train.py CONFIG --amp`` for one epoch on the CIFAR-format
files in DATA_ROOT (``check_md5=False``), writing ``epoch_1.pth``. Run 2: a
Runner built from the same config with ``resume=True`` and the same
``max_epochs``: it loads the checkpoint and trains no further, so its
wrappers' loss-scaler states must equal the checkpoint's. Prints a JSON line
with both states; exit 1 when they differ.
"""
import argparse
import json
import os.path as osp
import subprocess
import sys
from types import SimpleNamespace

from mmengine.config import Config, DictAction

from mmddarts.engine.runner_setup import build_runner, merge_train_args
from mmddarts.setup_env import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
NO_MD5 = ('train_dataloader.dataset.dataset.check_md5=False',
          'arch_dataloader.dataset.dataset.check_md5=False',
          'val_dataloader.dataset.check_md5=False')


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('data_root')
    p.add_argument('work_dir')
    p.add_argument('--dtype', default='float16')
    p.add_argument('--cfg-options', nargs='*', default=[])
    args = p.parse_args(argv)
    opts = [f'data_root={args.data_root}', 'train_cfg.max_epochs=1',
            f'optim_wrapper.architecture.dtype={args.dtype}',
            f'optim_wrapper.weights.dtype={args.dtype}', *NO_MD5,
            *args.cfg_options]
    subprocess.run([sys.executable, osp.join(ROOT, 'tools', 'train.py'),
                    args.config, '--amp', '--work-dir', args.work_dir,
                    '--cfg-options', *opts], check=True, cwd=ROOT)
    import torch
    ckpt = torch.load(osp.join(args.work_dir, 'epoch_1.pth'),
                      map_location='cpu', weights_only=False)
    saved = {k: v['loss_scaler'] for k, v in ckpt['optimizer'].items()}

    # what tools/train.py CONFIG --amp --resume --work-dir W --cfg-options
    # OPTS applies
    options = argparse.ArgumentParser()
    options.add_argument('--cfg-options', nargs='+', action=DictAction)
    train_args = SimpleNamespace(
        config=args.config, work_dir=args.work_dir, resume='auto', amp=True,
        no_validate=False, auto_scale_lr=False, launcher='none',
        cfg_options=options.parse_args(['--cfg-options', *opts]).cfg_options)
    register_all_modules(init_default_scope=False)
    cfg = merge_train_args(Config.fromfile(args.config), train_args)
    runner = build_runner(cfg)
    runner.train()  # resumes at epoch 1 of 1: loads, trains nothing
    loaded = {k: w.loss_scaler.state_dict()
              for k, w in runner.optim_wrapper.items()}
    same = all(saved[k]['scale'] == loaded[k]['scale'] and
               saved[k]['_growth_tracker'] == loaded[k]['_growth_tracker']
               for k in saved)
    print(json.dumps(dict(saved=saved, loaded=loaded, restored=same),
                     default=float))
    return 0 if same else 1


if __name__ == '__main__':
    sys.exit(main())
