# D-DARTS search directly on ImageNet (the paper's DD-7), DARTS/PC-DARTS
# style: a class-balanced 12.5% subset of the train split, cut 80/20 into
# 10% of ImageNet for the weights and 2.5% for the alphas (both halves keep
# every class's ratio: SplitDataset is stratified). Two nested SplitDatasets
# give it, so no extra dataset class is needed.
# The search supernet has the CIFAR stem, so images are searched at 64x64
# (RandomResizedCrop 64); the derived network is then trained at 224 with
# the ImageNet stem. Batch 96 needs --amp (paper: AMP, batch 96).
_base_ = [
    '../_base_/search/ddarts_supernet.py',
    '../_base_/search/search_schedule.py',
    '../_base_/search/search_runtime.py',
]
data_root = 'data/imagenet'  # mmpretrain layout: train/, val/, meta/
batch_size = 96
# Peak memory of a search iteration: configs/search/README.md (tools/train.py
# checks it before starting; --auto-batch picks the largest batch that fits).
image_size = 64
data_preprocessor = dict(
    type='mmpretrain.ClsDataPreprocessor',
    num_classes=1000,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)
train_pipeline = [
    dict(type='mmpretrain.LoadImageFromFile'),
    dict(type='mmpretrain.RandomResizedCrop', scale=image_size),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.PackInputs'),
]
test_pipeline = [
    dict(type='mmpretrain.LoadImageFromFile'),
    dict(type='mmpretrain.ResizeEdge', scale=73, edge='short'),
    dict(type='mmpretrain.CenterCrop', crop_size=image_size),
    dict(type='mmpretrain.PackInputs'),
]
imagenet_train = dict(
    type='mmpretrain.ImageNet',
    data_root=data_root,
    split='train',
    pipeline=train_pipeline)
# 12.5% of every class, fixed by seed; then 80% / 20% of that subset.
search_subset = dict(
    type='mmddarts.SplitDataset',
    dataset=imagenet_train,
    portion=0.125,
    part='first',
    seed=0)

# search loaders: workers re-created (and re-seeded) every epoch, for
# reproducible augmentation draws, also after --resume (docs/search.md)
train_dataloader = dict(
    batch_size=batch_size,
    num_workers=8,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='mmddarts.SplitDataset',
        dataset=search_subset,
        portion=0.8,
        part='first',
        seed=0))
arch_dataloader = dict(
    batch_size=batch_size,
    num_workers=8,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='mmddarts.SplitDataset',
        dataset=search_subset,
        portion=0.8,
        part='second',
        seed=0))
val_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='mmpretrain.ImageNet',
        data_root=data_root,
        split='val',
        pipeline=test_pipeline))
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
model = dict(
    architecture=dict(num_classes=1000, channels=16, num_cells=8),
    # as the authors' DD-7 search (docs/search.md)
    arch_strategy=dict(w01=7.0, w_abl=0.5, ablation='reference'))
auto_scale_lr = dict(base_batch_size=batch_size, enable=False)
