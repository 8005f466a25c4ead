# scikit-learn's handwritten digits (real data shipped inside scikit-learn):
# the offline default. 1,437 train / 360 test images, 32x32 RGB, 10 classes.
# Light augmentation: small shifts only (flips and cutout would erase or
# change digits).
dataset_type = 'mmddarts.DigitsDataset'
data_preprocessor = dict(
    type='mmpretrain.ClsDataPreprocessor',
    num_classes=10,
    # RGB mean/std of the 1,437 training images, in 0..255.
    mean=[77.903, 77.903, 77.903],
    std=[82.546, 82.546, 82.546],
    to_rgb=False)

train_pipeline = [
    dict(type='mmpretrain.RandomCrop', crop_size=32, padding=2),
    dict(type='mmpretrain.PackInputs'),
]
test_pipeline = [dict(type='mmpretrain.PackInputs')]

train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, split='test', pipeline=test_pipeline))
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, 5))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
