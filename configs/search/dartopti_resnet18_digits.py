# Offline DARTOpti demo on scikit-learn's handwritten digits (no download):
# ResNet18 as the starting point (4 cells, one shared gene), channels=8, the
# digits' native 8x8 resolution, 1 weight-only pretraining epoch + 5 search
# epochs; the distance early stop uses a 3-epoch window of search epochs
# (counted from epoch 2, so the earliest stop is after epoch 4). One torch
# thread is faster for nets this small (time: configs/search/README.md):
#   OMP_NUM_THREADS=1 python tools/train.py \
#       configs/search/dartopti_resnet18_digits.py
# Then train the result: configs/train/dartopti_resnet18_digits.py.
_base_ = [
    '../_base_/datasets/digits_search.py',
    '../_base_/search/dartopti_supernet.py',
    '../_base_/search/dartopti_runtime.py',
]
image_size = 8
search_pipeline = [
    dict(type='mmpretrain.RandomCrop', crop_size=image_size, padding=1),
    dict(type='mmpretrain.PackInputs'),
]
batch_size = 64
# Peak memory of a search iteration: configs/search/README.md (tools/train.py
# checks it before starting; --auto-batch picks the largest batch that fits).
search_loader = dict(
    batch_size=batch_size,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        dataset=dict(image_size=image_size, pipeline=search_pipeline)))
train_dataloader = search_loader
arch_dataloader = search_loader
val_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(image_size=image_size))
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))

# ResNet18 has ONE alpha set, so the ablation loss is identically zero
# (Labl = 1 - mc / mean(mc) with a single owner) and so is its gradient:
# switched off to save its extra passes.
model = dict(
    architecture=dict(baseline='resnet18', num_classes=10, channels=8),
    arch_strategy=dict(ablation='none'))

# Shorter schedule: restate everything derived from the epoch counts.
pretrain_epochs = 1
search_epochs = 5
max_epochs = pretrain_epochs + search_epochs
# Adam moves alpha by about lr per step, and an op at weight 0.5 (alpha 0)
# needs alpha 1.73 to pass T=0.85: CIFAR's 195 arch steps per epoch give
# 3e-3 x 195 x 50 = 29 units, this demo's 12 x 5 = 60 steps at 3e-3 only
# 0.18, so the architecture could not move at all. lr 0.1 -> 0.02 lets it.
optim_wrapper = dict(architecture=dict(optimizer=dict(lr=0.1)))
param_scheduler = dict(
    architecture=[
        dict(
            type='CosineAnnealingLR',
            eta_min=0.02,
            by_epoch=True,
            begin=pretrain_epochs,
            end=max_epochs)
    ],
    weights=[
        dict(
            type='CosineAnnealingLR',
            eta_min=1e-3,
            by_epoch=True,
            begin=0,
            end=max_epochs)
    ])
train_cfg = dict(max_epochs=max_epochs)
custom_hooks = [
    dict(
        type='mmddarts.ArchStepScheduleHook',
        warmup_epochs=pretrain_epochs,
        interval=1),
    dict(type='mmddarts.GenotypeExportHook'),
    dict(type='mmddarts.ArchDistanceHook', start=None, method='edge'),
    dict(
        type='mmddarts.DistanceEarlyStopHook',
        tol=1e-3,
        patience=3,
        begin_epoch=pretrain_epochs + 1),
    dict(type='SyncBuffersHook'),
    # search_cost.json + table: wall time, GPU-days, split, peak memory
    dict(type='mmddarts.SearchCostHook'),
]
default_hooks = dict(logger=dict(interval=10))
randomness = dict(seed=0)
