"""DDartsDetBackbone's pretrained checkpoints load through mmddarts'
allowlisted loader only: a file that pickles a callable is refused before the
callable runs, unless the user trusted the file."""
import os
import os.path as osp
import pickle

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn

from mmddarts.models.backbones import DDartsDetBackbone, DDartsNet
from mmddarts.utils import checkpoint as ckpt_utils
from mmddarts.setup_env import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DO2 = osp.join(ROOT, 'configs', 'genotypes', 'do2-resnet18_c100.json')


class _SideEffect:
    """Unpickling this calls ``open(path, 'w')``: it creates a file."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, 'w'))


class _Note:
    """A harmless object outside the allowlist (a custom class)."""

    def __init__(self, text):
        self.text = text


@pytest.fixture(autouse=True)
def no_trust(monkeypatch):
    # No path is trusted unless a test says so, and nothing leaks out.
    monkeypatch.setattr(ckpt_utils, '_trusted_paths', set())
    monkeypatch.delenv(ckpt_utils.TRUSTED_ENV, raising=False)


def _backbone_ckpt(path, extra):
    det = DDartsDetBackbone(DO2, channels=4)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in det.parameters():
            p.copy_(torch.randn(p.shape, generator=gen))
    sd = {'backbone.' + k: v for k, v in det.state_dict().items()}
    torch.save(dict(state_dict=sd, meta=extra), path)
    return det


def _pretrained(path):
    return DDartsDetBackbone(
        DO2, channels=4, init_cfg=dict(type='Pretrained', checkpoint=path))


def test_pickled_callable_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / 'PWNED'
    path = str(tmp_path / 'evil.pth')
    _backbone_ckpt(path, {'x': _SideEffect(str(marker))})
    det = _pretrained(path)
    with pytest.raises(pickle.UnpicklingError) as info:
        det.init_weights()
    msg = str(info.value)
    # The error names the file and how to trust it.
    assert path in msg and 'trust_checkpoint' in msg
    assert ckpt_utils.TRUSTED_ENV in msg
    assert not marker.exists()
    # Loading directly refuses too.
    with pytest.raises(pickle.UnpicklingError):
        det.load_classification_checkpoint(path)
    assert not marker.exists()


def test_trusted_file_loads(tmp_path, monkeypatch):
    path = str(tmp_path / 'custom.pth')
    src = _backbone_ckpt(path, {'note': _Note('made by hand')})
    with pytest.raises(pickle.UnpicklingError, match='Refused'):
        _pretrained(path).init_weights()
    ckpt_utils.trust_checkpoint(path)
    det = _pretrained(path)
    det.init_weights()
    for k, v in src.state_dict().items():
        torch.testing.assert_close(det.state_dict()[k], v, rtol=0, atol=0)


def test_trusted_folder_by_environment(tmp_path, monkeypatch):
    path = str(tmp_path / 'sub' / 'custom.pth')
    os.makedirs(osp.dirname(path))
    src = _backbone_ckpt(path, {'note': _Note('x')})
    monkeypatch.setenv(ckpt_utils.TRUSTED_ENV, str(tmp_path))
    det = _pretrained(path)
    det.init_weights()
    torch.testing.assert_close(det.stem0[0].weight, src.stem0[0].weight)


class _Classifier(BaseModel):
    """A DDartsNet with a linear head, trained by mmengine's Runner."""

    def __init__(self):
        super().__init__()
        self.backbone = DDartsNet(DO2, channels=4, stem='ddarts_imagenet',
                                  aux_index=None)
        self.head = nn.Linear(self.backbone.out_channels[-1], 3)

    def forward(self, inputs, labels=None, mode='tensor'):
        feat = self.backbone(inputs)[-1].mean((2, 3))
        logits = self.head(feat)
        if mode == 'loss':
            return dict(loss=nn.functional.cross_entropy(logits, labels))
        return logits


def test_checkpoint_of_mmengine_runner_loads(tmp_path):
    """What mmengine's CheckpointHook writes (meta, message hub with
    HistoryBuffers and numpy values, SGD momentum, scheduler state) loads
    without trusting the file."""
    from mmengine import DefaultScope
    scopes = dict(DefaultScope._instance_dict)
    register_all_modules(init_default_scope=False)
    gen = torch.Generator().manual_seed(0)
    data = [dict(inputs=torch.randn(3, 16, 16, generator=gen),
                 labels=torch.tensor(i % 3)) for i in range(4)]
    runner = Runner(
        model=_Classifier(),
        work_dir=str(tmp_path),
        experiment_name='det_trust',
        train_dataloader=dict(
            dataset=data, sampler=dict(type='DefaultSampler', shuffle=True),
            batch_size=2, num_workers=0,
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01,
                                          momentum=0.9)),
        param_scheduler=dict(type='MultiStepLR', milestones=[1], gamma=0.1),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook',
                                           interval=1)),
        default_scope='mmengine')
    try:
        runner.train()
    finally:
        DefaultScope._instance_dict.clear()
        DefaultScope._instance_dict.update(scopes)
    path = str(tmp_path / 'epoch_1.pth')
    raw = ckpt_utils.load_from_local_allowlisted(path)
    assert {'meta', 'state_dict', 'message_hub', 'optimizer',
            'param_schedulers'} <= set(raw)
    assert raw['optimizer']['state']  # momentum buffers were saved
    det = _pretrained(path)
    det.init_weights()
    for k, v in runner.model.backbone.state_dict().items():
        torch.testing.assert_close(det.state_dict()[k], v, rtol=0, atol=0)
