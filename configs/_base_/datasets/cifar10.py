# CIFAR-10 for training derived (evaluation) networks, D-DARTS/DARTS recipe:
# random crop with 4-pixel padding, horizontal flip, cutout 16.
# Normalisation: DARTS' CIFAR_MEAN / CIFAR_STD (utils.py, also D-DARTS'), the
# per-channel mean and std over all pixels of the 50k training images, x255:
# mean (0.49139968, 0.48215827, 0.44653124), std (0.24703233, 0.24348505,
# 0.26158768). (mmpretrain's CIFAR std [51.59, 50.85, 51.26] is the widely
# copied (0.2023, 0.1994, 0.2010), smaller than the std over all pixels.)
# Module names carry their scope so this file works under any default_scope.
dataset_type = 'mmddarts.CIFAR10'
data_root = 'data/cifar10'  # holds cifar-10-batches-py/
cifar_mean = [125.3069, 122.9504, 113.8655]  # RGB, 0..255
cifar_std = [62.9932, 62.0887, 66.7049]
data_preprocessor = dict(
    type='mmpretrain.ClsDataPreprocessor',
    num_classes=10,
    mean=cifar_mean,
    std=cifar_std,
    to_rgb=False)

train_pipeline = [
    dict(type='mmpretrain.RandomCrop', crop_size=32, padding=4),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    # DARTS' Cutout: one 16x16 hole, centre anywhere, clipped at every
    # border; DARTS zeroes normalised pixels, i.e. fills with the mean.
    dict(type='mmddarts.DARTSCutout', length=16, pad_val=cifar_mean),
    dict(type='mmpretrain.PackInputs'),
]
test_pipeline = [dict(type='mmpretrain.PackInputs')]

train_dataloader = dict(
    batch_size=128,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        check_md5=True,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=128,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        check_md5=True,
        pipeline=test_pipeline))
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, 5))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
