# CIFAR-100 for training derived (evaluation) networks: the CIFAR-10 recipe
# (./cifar10.py: crop 4, flip, cutout 16) with CIFAR-100's files, classes and
# colour statistics.
_base_ = ['./cifar10.py']

dataset_type = 'mmddarts.CIFAR100'
data_root = 'data/cifar100'  # holds cifar-100-python/
data_preprocessor = dict(
    num_classes=100,
    # RGB mean/std of the CIFAR-100 training images, in 0..255.
    mean=[129.304, 124.070, 112.434],
    std=[68.170, 65.392, 70.418])

train_pipeline = [
    dict(type='mmpretrain.RandomCrop', crop_size=32, padding=4),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    # DARTS' Cutout fills the hole with the mean colour (zero after
    # normalisation).
    dict(
        type='mmpretrain.Cutout', shape=16, pad_val=[129, 124, 112],
        prob=1.0),
    dict(type='mmpretrain.PackInputs'),
]
train_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
