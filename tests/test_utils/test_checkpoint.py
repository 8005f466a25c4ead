"""The torch >= 2.6 checkpoint fix, through a real mmengine Runner."""
import argparse
import pickle

import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import CheckpointLoader, Runner
from torch import nn

from mmddarts.utils import checkpoint as ckpt_utils
from mmddarts.setup_env import register_all_modules

needs_weights_only_default = pytest.mark.skipif(
    tuple(int(x) for x in torch.__version__.split('.')[:2]) < (2, 6),
    reason='torch < 2.6 loads with weights_only=False by default')


class ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, labels=None, mode='tensor'):
        out = self.linear(inputs)
        if mode == 'loss':
            return dict(loss=((out[:, 0] - labels)**2).mean())
        return out


def _runner(work_dir, name, max_epochs, **kwargs):
    gen = torch.Generator().manual_seed(0)
    data = [dict(inputs=torch.randn(2, generator=gen), labels=torch.tensor(1.))
            for _ in range(6)]
    return Runner(
        model=ToyModel(),
        work_dir=str(work_dir),
        experiment_name=name,
        train_dataloader=dict(
            dataset=data,
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_size=2,
            num_workers=0,
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
        param_scheduler=dict(type='MultiStepLR', milestones=[1], gamma=0.1),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1)),
        default_scope='mmengine',
        **kwargs)


@pytest.fixture(scope='module')
def saved(tmp_path_factory):
    from mmengine import DefaultScope
    scopes = dict(DefaultScope._instance_dict)
    register_all_modules(init_default_scope=False)
    work_dir = tmp_path_factory.mktemp('ckpt')
    runner = _runner(work_dir, 'ckpt_save', 1)
    runner.train()
    yield work_dir, work_dir / 'epoch_1.pth', runner
    DefaultScope._instance_dict.clear()  # the Runner's scope stays here
    DefaultScope._instance_dict.update(scopes)


def test_loader_is_registered(saved):
    loader = CheckpointLoader._get_checkpoint_loader('some/file.pth')
    assert loader is ckpt_utils.load_from_local_allowlisted


@needs_weights_only_default
def test_plain_torch_load_fails_but_ours_loads(saved):
    _, path, runner = saved
    with pytest.raises(pickle.UnpicklingError, match='HistoryBuffer'):
        torch.load(path)  # the bug this loader fixes
    ckpt = ckpt_utils.load_from_local_allowlisted(str(path))
    assert ckpt['meta']['epoch'] == 1 and ckpt['meta']['iter'] == 3
    buf = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(buf, HistoryBuffer)
    for k, v in runner.model.state_dict().items():
        torch.testing.assert_close(ckpt['state_dict'][k], v)


def test_runner_resumes_from_checkpoint(saved, tmp_path):
    _, path, first = saved
    runner = _runner(tmp_path, 'ckpt_resume', 2, resume=True,
                     load_from=str(path))
    runner.train()
    assert (runner.epoch, runner.iter) == (2, 6)
    # only epoch 2 ran here: a fresh start would also have saved epoch 1
    assert not (tmp_path / 'epoch_1.pth').exists()
    assert (tmp_path / 'epoch_2.pth').exists()
    # the scheduler state came back (one step saved + one step here)
    assert runner.param_schedulers[0]._global_step == 2
    # the loss history of epoch 1 came back with the message hub
    hist = runner.message_hub.get_scalar('train/loss')
    assert len(hist.data[0]) == 6


def _pickle_with_foreign_global(path):
    torch.save({'state_dict': {}, 'args': argparse.Namespace(a=1)}, path)


def test_untrusted_foreign_global_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(ckpt_utils, '_trusted_paths', set())
    monkeypatch.delenv(ckpt_utils.TRUSTED_ENV, raising=False)
    path = tmp_path / 'foreign.pth'
    _pickle_with_foreign_global(path)
    with pytest.raises(pickle.UnpicklingError,
                       match='MMDDARTS_TRUSTED_CHECKPOINTS'):
        ckpt_utils.load_from_local_allowlisted(str(path))


def test_trusted_files_fall_back(tmp_path, monkeypatch):
    monkeypatch.setattr(ckpt_utils, '_trusted_paths', set())
    path = tmp_path / 'sub' / 'foreign.pth'
    path.parent.mkdir()
    _pickle_with_foreign_global(path)
    monkeypatch.setenv(ckpt_utils.TRUSTED_ENV, str(tmp_path))  # a folder
    assert ckpt_utils.load_from_local_allowlisted(str(path))['args'].a == 1
    monkeypatch.delenv(ckpt_utils.TRUSTED_ENV)
    assert not ckpt_utils.is_trusted(str(path))
    ckpt_utils.trust_checkpoint(str(path.parent))
    assert ckpt_utils.load_from_local_allowlisted(str(path))['args'].a == 1
    # a sibling folder whose name only starts like a trusted one is not
    assert not ckpt_utils.is_trusted(str(tmp_path / 'sub2' / 'x.pth'))


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        ckpt_utils.load_from_local_allowlisted(
            str(tmp_path / 'nonexistent' / 'nope.pth'))


def test_empty_history_buffer_loads_untrusted(tmp_path, monkeypatch):
    """A HistoryBuffer before its first update pickles bytes(); allowed
    (constructing bytes runs no code), unlike a foreign global."""
    from mmengine.logging import HistoryBuffer
    monkeypatch.setattr(ckpt_utils, '_trusted_paths', set())
    monkeypatch.delenv(ckpt_utils.TRUSTED_ENV, raising=False)
    path = tmp_path / 'empty_buffer.pth'
    torch.save({'message_hub': {'log_scalars': {'loss': HistoryBuffer()}},
                'state_dict': {'w': torch.ones(2)}}, path)
    out = ckpt_utils.load_from_local_allowlisted(str(path))
    buf = out['message_hub']['log_scalars']['loss']
    assert isinstance(buf, HistoryBuffer) and len(buf.data[0]) == 0
    assert torch.equal(out['state_dict']['w'], torch.ones(2))
