# Fashion-MNIST (60,000 train / 10,000 test 28x28 grey images, 10 classes)
# from the original idx files: `apt-get install dataset-fashion-mnist` puts
# them in /usr/share/datasets/fashion-mnist (the default data_root; another
# folder: --cfg-options data_root=DIR). One input channel: models take
# in_channels=1 and the preprocessor one mean / std.
# Images are padded to 32x32 (pad=2): DARTS' auxiliary head needs 8x8 maps
# after the two reductions. Standard augmentation: random crop with padding
# and horizontal flip (random erasing: configs/train/ddarts_fmnist.py).
dataset_type = 'mmddarts.FashionMNIST'
data_root = '/usr/share/datasets/fashion-mnist'
data_preprocessor = dict(
    type='mmpretrain.ClsDataPreprocessor',
    num_classes=10,
    # grey mean / std of the 60,000 training images at 28x28, in 0..255
    # (docs/benchmarks.md: measured with tools/analysis_tools/
    # dataset_stats.py --dataset fashion-mnist)
    mean=[72.940],
    std=[90.021],
    to_rgb=False)

train_pipeline = [
    dict(type='mmpretrain.RandomCrop', crop_size=32, padding=4),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.PackInputs'),
]
test_pipeline = [dict(type='mmpretrain.PackInputs')]

train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        check_md5=True,  # --cfg-options check_md5=False: any idx files
        pad=2,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=256,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        check_md5=True,
        pad=2,
        pipeline=test_pipeline))
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
