"""A toy search config file for the tools/train.py preflight tests: the
search schedule and runtime of the released configs on a 3-cell, C=4, 2-step
supernet, 8x8 images of generated CIFAR-10 files (20 images per half,
batch 5: 4 iterations per epoch), 2 epochs."""
import os
import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

TOY_SEARCH = '''
_base_ = [{sched!r}, {runtime!r}]
data_root = {data_root!r}
batch_size = 5
toy_pipeline = [
    dict(type='mmpretrain.Resize', scale=(8, 8)),
    dict(type='mmpretrain.PackInputs'),
]
toy_split = dict(type='mmddarts.CIFAR10', data_root=data_root,
                 split='train', check_md5=False, pipeline=toy_pipeline)
train_dataloader = dict(
    batch_size=batch_size, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='mmddarts.SplitDataset', dataset=toy_split,
                 portion=0.5, part='first', seed=0))
arch_dataloader = dict(
    batch_size=batch_size, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='mmddarts.SplitDataset', dataset=toy_split,
                 portion=0.5, part='second', seed=0))
val_dataloader = dict(
    batch_size=8, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='mmddarts.CIFAR10', data_root=data_root, split='test',
                 check_md5=False, pipeline=toy_pipeline))
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
data_preprocessor = dict(type='mmpretrain.ClsDataPreprocessor',
                         num_classes=10, mean=[127.5] * 3, std=[64.0] * 3)
model = dict(
    type='mmddarts.DDartsSearch',
    architecture=dict(type='mmddarts.DDartsSupernet', num_classes=10,
                      channels=4, num_cells=3, steps=2),
    data_preprocessor=data_preprocessor,
    arch_strategy=dict(type='mmddarts.LeaveOneOutArchStep', w01=7.0,
                       w_abl=0.5, ablation='exact'),
    threshold=0.5)
train_cfg = dict(max_epochs=2)
default_hooks = dict(logger=dict(interval=1))
custom_hooks = [
    dict(type='mmddarts.ArchStepScheduleHook'),
    dict(type='mmddarts.GenotypeExportHook', draw=False),
]
auto_scale_lr = dict(base_batch_size=batch_size, enable=False)
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
test_cfg = None
'''


def write_toy_search(tmp_path, data_root, name='toy_search.py', extra=''):
    base = osp.join(REPO, 'configs', '_base_', 'search')
    text = TOY_SEARCH.format(sched=osp.join(base, 'search_schedule.py'),
                             runtime=osp.join(base, 'search_runtime.py'),
                             data_root=data_root)
    path = osp.join(str(tmp_path), name)
    with open(path, 'w') as f:
        f.write(text + extra)
    return path


def train_env(**extra):
    return dict(os.environ, PYTHONPATH=REPO,
                CUDA_VISIBLE_DEVICES='', OMP_NUM_THREADS='1', **extra)


def run_train(*args, timeout=240, env=None):
    return subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'train.py'), *args],
        cwd=REPO, env=env or train_env(), capture_output=True, text=True,
        timeout=timeout)


def load_ckpt(path):
    from mmddarts.utils.checkpoint import load_from_local_allowlisted
    return load_from_local_allowlisted(str(path))
