# CIFAR-100 for training derived (evaluation) networks: the CIFAR-10 recipe
# (./cifar10.py: crop 4, flip, cutout 16) with CIFAR-100's files, classes and
# colour statistics.
_base_ = ['./cifar10.py']

dataset_type = 'mmddarts.CIFAR100'
data_root = 'data/cifar100'  # holds cifar-100-python/
# RGB mean/std over all pixels of the CIFAR-100 training images, x255
# (D-DARTS' CIFAR100 mean (0.50707516, 0.48654887, 0.44091784), std
# (0.26733428, 0.25643846, 0.27615049)).
cifar_mean = [129.3042, 124.0700, 112.4340]
cifar_std = [68.1702, 65.3918, 70.4184]
data_preprocessor = dict(
    num_classes=100,
    mean=cifar_mean,
    std=cifar_std)

train_pipeline = [
    dict(type='mmpretrain.RandomCrop', crop_size=32, padding=4),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    # DARTS' Cutout: the hole is the mean colour (zero after normalisation).
    dict(type='mmddarts.DARTSCutout', length=16, pad_val=cifar_mean),
    dict(type='mmpretrain.PackInputs'),
]
train_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
