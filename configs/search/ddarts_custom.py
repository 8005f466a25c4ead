# D-DARTS search on your own images (mmpretrain's CustomDataset layouts):
#   DATA_ROOT/<class>/<image>   a folder per class (>= 2 classes, any number),
#   or DATA_ROOT/ANN_FILE       lines `relative/path.png <label>`.
# The images are cut into two stratified halves (weights / architecture,
# mmddarts.SplitDataset, seed 0); the architecture half also validates the
# supernet. Every image is resized to IMAGE_SIZE (square). Normalisation
# statistics come from the data, computed once:
#   python tools/analysis_tools/dataset_stats.py DATA_ROOT
# (writes DATA_ROOT/dataset_stats.json, read by StatsClsDataPreprocessor),
# then:
#   DATA_ROOT=data/flowers NUM_CLASSES=5 IMAGE_SIZE=32 \
#       python tools/train.py configs/search/ddarts_custom.py
# DATA_ROOT, ANN_FILE, NUM_CLASSES and IMAGE_SIZE are read from the
# environment when the config is loaded (mmengine's substitution of
# environment variables), so they reach every dataloader, the pipelines, the
# model and the statistics file at once. Bad input (an empty class folder,
# one class, an unreadable image, another number of classes than
# NUM_CLASSES) stops with its path.
_base_ = [
    '../_base_/search/ddarts_supernet.py',
    '../_base_/search/search_schedule.py',
    '../_base_/search/search_runtime.py',
]
data_root = '{{$DATA_ROOT:data/custom}}'
# ANN_FILE=none (default): a folder per class
ann_file = '{{$ANN_FILE:none}}'
ann_file = '' if ann_file == 'none' else ann_file
num_classes = {{'$NUM_CLASSES:10'}}
image_size = {{'$IMAGE_SIZE:32'}}
batch_size = 64

data_preprocessor = dict(
    type='mmddarts.StatsClsDataPreprocessor',
    stats_file=data_root + '/dataset_stats.json',
    num_classes=num_classes)
search_pipeline = [
    dict(type='mmpretrain.LoadImageFromFile'),
    dict(type='mmpretrain.Resize', scale=(image_size, image_size)),
    dict(type='mmpretrain.RandomCrop', crop_size=image_size,
         padding=image_size // 8),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.PackInputs'),
]
val_pipeline = [
    dict(type='mmpretrain.LoadImageFromFile'),
    dict(type='mmpretrain.Resize', scale=(image_size, image_size)),
    dict(type='mmpretrain.PackInputs'),
]
images = dict(
    type='mmddarts.ImageFolderDataset',
    data_root=data_root,
    ann_file=ann_file,
    num_classes=num_classes)

# workers re-created (and re-seeded) every epoch: reproducible resume
train_dataloader = dict(
    batch_size=batch_size,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='mmddarts.SplitDataset',
        dataset=dict(images, pipeline=search_pipeline),
        portion=0.5,
        part='first',
        seed=0))
arch_dataloader = dict(
    batch_size=batch_size,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='mmddarts.SplitDataset',
        dataset=dict(images, pipeline=search_pipeline),
        portion=0.5,
        part='second',
        seed=0))
val_dataloader = dict(
    batch_size=batch_size,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='mmddarts.SplitDataset',
        dataset=dict(images, pipeline=val_pipeline),
        portion=0.5,
        part='second',
        seed=0))
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
model = dict(
    architecture=dict(num_classes=num_classes, channels=16,
                      num_cells=8),
    data_preprocessor=data_preprocessor)
