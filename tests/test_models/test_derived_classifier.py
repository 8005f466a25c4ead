"""DDartsImageClassifier (aux head in training only) and DropPathHook."""
import types

import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmpretrain.structures import DataSample

from mmddarts.engine.hooks import DropPathHook
from mmddarts.models.backbones import DDartsNet
from mmddarts.registry import MODELS
from mmddarts.structures import Genotype

TOY = Genotype(
    genes=[[('sep_conv_3x3', 2, 0), ('skip_connect', 2, 1),
            ('max_pool_3x3', 3, 2)],
           [('max_pool_3x3', 2, 0), ('skip_connect', 2, 1)]],
    seq=[0, 1, 0, 1, 0],
    reductions=[1, 3])


def build_classifier(with_aux=True):
    cfg = dict(
        type='mmddarts.DDartsImageClassifier',
        backbone=dict(type='mmddarts.DDartsNet', genotype=TOY.to_dict(),
                      channels=4),
        neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(type='mmpretrain.LinearClsHead', num_classes=3),
        aux_head=dict(type='mmddarts.AuxiliaryHeadCIFAR', num_classes=3,
                      loss=dict(type='mmpretrain.CrossEntropyLoss',
                                loss_weight=0.4)) if with_aux else None,
        data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor'))
    return MODELS.build(cfg)


def samples(labels):
    return [DataSample().set_gt_label(int(y)) for y in labels]


def test_heads_get_in_channels_from_backbone():
    model = build_classifier()
    # cells 0..4: C 4, 8 (red), 8, 16 (red), 16; genes have 2 / 1 nodes
    assert model.backbone.out_channels == [8, 8, 16, 16, 32]
    assert model.head.fc.in_features == 32
    assert model.aux_head.in_channels == 16  # cell 3, the last reduction


def test_loss_has_aux_term_in_train_mode_only():
    torch.manual_seed(0)
    model = build_classifier()
    x = torch.randn(4, 3, 32, 32)
    labels = torch.tensor([0, 2, 1, 2])
    model.train()
    losses = model.loss(x, samples(labels))
    assert set(losses) == {'loss', 'aux_loss'}
    # independent recomputation (BN in train mode uses batch statistics,
    # so a second pass gives the same outputs)
    feats, aux = model.backbone(x, with_aux_output=True)
    logits = model.head.fc(feats[-1].mean((2, 3)))
    aux_logits = model.aux_head((aux, ))
    torch.testing.assert_close(losses['loss'],
                               F.cross_entropy(logits, labels))
    torch.testing.assert_close(losses['aux_loss'],
                               0.4 * F.cross_entropy(aux_logits, labels))
    model.eval()
    losses = model.loss(x, samples(labels))
    assert set(losses) == {'loss'}
    preds = model.predict(x)
    assert len(preds) == 4 and preds[0].pred_score.shape == (3, )


def test_train_step_backpropagates_into_aux_head():
    from mmengine.optim import OptimWrapper
    model = build_classifier()
    model.train()
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    data = dict(inputs=[torch.randint(0, 255, (3, 32, 32), dtype=torch.uint8)
                        for _ in range(2)],
                data_samples=samples([0, 1]))
    before = model.aux_head.fc.weight.detach().clone()
    log = model.train_step(data, optim)
    assert 'aux_loss' in log
    assert not torch.equal(before, model.aux_head.fc.weight)


def test_aux_head_requires_aux_output():
    with pytest.raises(ValueError, match='aux'):
        MODELS.build(dict(
            type='mmddarts.DDartsImageClassifier',
            backbone=dict(type='mmddarts.DDartsNet', genotype=TOY,
                          channels=4, aux_index=None),
            head=dict(type='mmpretrain.LinearClsHead', num_classes=3),
            aux_head=dict(type='mmddarts.AuxiliaryHeadCIFAR',
                          num_classes=3)))


def test_aux_head_input_size_error():
    model = build_classifier()
    model.train()
    # 64x64: the last reduction cell (3) is 16x16, too big for DARTS' head
    with pytest.raises(ValueError, match=r'AuxiliaryHeadCIFAR: input '
                       r'\(16, 16\) pools to \(4, 4\)'):
        model.loss(torch.randn(2, 3, 64, 64), samples([0, 1]))
    # 16x16: 4x4 there, smaller than the 5x5 window: averaged to 2x2, the
    # same as DARTS' layers on the 2x2 means (checked by hand below)
    losses = model.loss(torch.randn(2, 3, 16, 16), samples([0, 1]))
    assert torch.isfinite(losses['aux_loss'])
    head = model.aux_head.eval()
    x = torch.randn(2, head.in_channels, 4, 4)
    means = x.relu().unflatten(2, (2, 2)).unflatten(4, (2, 2)).mean((3, 5))
    want = head.fc(head.features[2:](means).flatten(1))
    torch.testing.assert_close(head((x, )), want)


def test_drop_path_hook_ramps_linearly():
    net = DDartsNet(TOY, channels=4)
    model = torch.nn.Sequential(net)
    hub = MessageHub.get_instance('test_drop_path_hook')
    runner = types.SimpleNamespace(model=model, epoch=0, max_epochs=600,
                                   message_hub=hub)
    hook = DropPathHook(drop_path_rate=0.2)
    seen = []
    for epoch in (0, 300, 599):
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        seen.append(net.drop_path_prob)
    # DARTS: drop_path_prob * epoch / epochs
    assert seen == pytest.approx([0.0, 0.1, 0.2 * 599 / 600])
    assert hub.get_scalar('train/drop_path_prob').current() == \
        pytest.approx(0.2 * 599 / 600)
    with pytest.raises(RuntimeError, match='drop_path_prob'):
        runner.model = torch.nn.Linear(2, 2)
        hook.before_train_epoch(runner)
    with pytest.raises(ValueError):
        DropPathHook(drop_path_rate=1.5)
