# CIFAR-100 for training derived (evaluation) networks, D-DARTS/DARTS recipe:
# random crop with 4-pixel padding, horizontal flip, cutout 16.
# Module names carry their scope so this file works under any default_scope.
dataset_type = 'mmddarts.CIFAR100'
data_root = 'data/cifar100'  # holds cifar-100-python/
data_preprocessor = dict(
    type='mmpretrain.ClsDataPreprocessor',
    num_classes=100,
    # RGB mean/std of the CIFAR-100 training images, in 0..255.
    mean=[129.304, 124.070, 112.434],
    std=[68.170, 65.392, 70.418],
    to_rgb=False)

train_pipeline = [
    dict(type='mmpretrain.RandomCrop', crop_size=32, padding=4),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    # DARTS' Cutout: always one 16x16 hole; DARTS zeroes normalised pixels,
    # i.e. fills the hole with the mean colour.
    dict(
        type='mmpretrain.Cutout', shape=16, pad_val=[129, 124, 112],
        prob=1.0),
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
