# DD-4 transferred to ImageNet as in DARTS' train_imagenet.py: 14 cells
# (Algorithm 1 from the 8-cell search), C=48, label smoothing 0.1 for both
# heads, auxiliary weight 0.4, no drop path, SGD lr 0.1 (batch 128) decayed by
# 0.97 every epoch for 250 epochs.
#
# Stem: DARTS' ImageNet stem ('imagenet', cells start at /8), not the /4 stem
# of D-DARTS' model.py that DO-2-ResNet18 uses (./do2-resnet18_in1k.py). With
# only two reductions the /4 stem leaves a 14x14 final map, which the
# reference's AvgPool2d(7) + Linear(C) classifier cannot take, and it costs
# ~4x the paper's DD-4 figure (617 MFLOPs; /8 stem 502M for the sparse
# genotype, /4 stem 1,981M), so the 14-cell DD networks ran at /8.
_base_ = [
    'mmpretrain::_base_/datasets/imagenet_bs64.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='mmddarts.DDartsImageClassifier',
    backbone=dict(
        type='mmddarts.DDartsNet',
        genotype='configs/genotypes/ddarts_c100_edge_abl.json',
        channels=48,
        num_cells=14,
        stem='imagenet'),  # DARTS' /8 stem, see above
    neck=dict(type='mmpretrain.GlobalAveragePooling'),
    head=dict(
        type='mmpretrain.LinearClsHead',
        num_classes=1000,
        loss=dict(
            type='mmpretrain.LabelSmoothLoss',
            label_smooth_val=0.1,
            loss_weight=1.0),
        topk=(1, 5)),
    aux_head=dict(
        type='mmddarts.AuxiliaryHeadImageNet',
        num_classes=1000,
        loss=dict(
            type='mmpretrain.LabelSmoothLoss',
            label_smooth_val=0.1,
            loss_weight=0.4)))

train_dataloader = dict(batch_size=128)
val_dataloader = dict(batch_size=128)
test_dataloader = val_dataloader

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=3e-5),
    clip_grad=dict(max_norm=5.0))
param_scheduler = dict(type='StepLR', step_size=1, gamma=0.97, by_epoch=True)
train_cfg = dict(by_epoch=True, max_epochs=250, val_interval=5)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=128)
