# Train the genotype searched by configs/search/ddarts_custom.py on your own
# images (same DATA_ROOT / ANN_FILE / NUM_CLASSES / IMAGE_SIZE environment
# variables, same statistics file), from scratch: the derived network with
# all its searched cells (num_cells=None), C=16, drop path and DARTS'
# auxiliary head (for 32 to 40 pixel images). The images are cut 80 / 20
# (stratified, seed 0) into training and validation; GENOTYPE defaults to
# the search's sparse result:
#   DATA_ROOT=data/flowers NUM_CLASSES=5 IMAGE_SIZE=32 \
#   GENOTYPE=work_dirs/search/ddarts_custom/genotype_sparse_final.json \
#       python tools/train.py configs/train/ddarts_custom.py
_base_ = [
    '../_base_/models/ddarts_cifar.py',
    '../_base_/default_runtime.py',
]
data_root = '{{$DATA_ROOT:data/custom}}'
# ANN_FILE=none (default): a folder per class
ann_file = '{{$ANN_FILE:none}}'
ann_file = '' if ann_file == 'none' else ann_file
num_classes = {{'$NUM_CLASSES:10'}}
image_size = {{'$IMAGE_SIZE:32'}}
genotype = '{{$GENOTYPE:work_dirs/search/ddarts_custom/genotype_sparse_final.json}}'  # noqa: E501
batch_size = 64
max_epochs = 100

data_preprocessor = dict(
    type='mmddarts.StatsClsDataPreprocessor',
    stats_file=data_root + '/dataset_stats.json',
    num_classes=num_classes)
# DARTS' auxiliary head needs an 8x8 to 10x10 map after two reductions,
# i.e. images of 32 to 40 pixels; other sizes train without it.
model = dict(
    backbone=dict(genotype=genotype, channels=16, num_cells=None),
    head=dict(num_classes=num_classes, topk=(1, )),
    aux_head=dict(num_classes=num_classes)
    if 32 <= image_size <= 40 else None)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(image_size, image_size)),
    dict(type='RandomCrop', crop_size=image_size, padding=image_size // 8),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(image_size, image_size)),
    dict(type='PackInputs'),
]
images = dict(
    type='mmddarts.ImageFolderDataset',
    data_root=data_root,
    ann_file=ann_file,
    num_classes=num_classes)
train_dataloader = dict(
    batch_size=batch_size,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='mmddarts.SplitDataset',
        dataset=dict(images, pipeline=train_pipeline),
        portion=0.8,
        part='first',
        seed=0))
val_dataloader = dict(
    batch_size=batch_size,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='mmddarts.SplitDataset',
        dataset=dict(images, pipeline=test_pipeline),
        portion=0.8,
        part='second',
        seed=0))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.025, momentum=0.9, weight_decay=3e-4),
    clip_grad=dict(max_norm=5.0))
param_scheduler = dict(
    type='CosineAnnealingLR', eta_min=0., by_epoch=True, begin=0)
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1)
val_cfg = dict()
test_cfg = dict()
# No best checkpoint: the validation part is the accuracy to report, so
# choosing a checkpoint on it would be selection on test data (report the
# last epoch, docs/search.md "Which checkpoint to report").
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=1))
randomness = dict(seed=0)
