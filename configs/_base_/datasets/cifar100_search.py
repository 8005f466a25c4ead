# CIFAR-100 for the architecture search: the CIFAR-10 search recipe
# (./cifar10_search.py: two disjoint stratified halves of the training split,
# crop + flip, validation on the test split) on CIFAR-100's files.
#   --cfg-options data_root=/path/to/cifar100   (tools/train.py propagates it)
_base_ = ['./cifar10_search.py']

dataset_type = 'mmddarts.CIFAR100'
data_root = 'data/cifar100'  # holds cifar-100-python/
# RGB mean/std over all pixels of the CIFAR-100 training images, x255 (as
# ./cifar100.py).
cifar_mean = [129.3042, 124.0700, 112.4340]
cifar_std = [68.1702, 65.3918, 70.4184]
data_preprocessor = dict(
    num_classes=100,
    mean=cifar_mean,
    std=cifar_std)
# Not read by the search loaders; kept equal to ./cifar100.py's so configs
# built on this file see CIFAR-100's recipe (cutout fill = CIFAR-100 mean).
train_pipeline = [
    dict(type='mmpretrain.RandomCrop', crop_size=32, padding=4),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmddarts.DARTSCutout', length=16, pad_val=cifar_mean),
    dict(type='mmpretrain.PackInputs'),
]
train_split = dict(type=dataset_type, data_root=data_root)
train_dataloader = dict(dataset=dict(dataset=train_split))
arch_dataloader = dict(dataset=dict(dataset=train_split))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
