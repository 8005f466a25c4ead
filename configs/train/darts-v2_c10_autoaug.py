# darts-v2_c10 with AutoAugment before cutout.
# mmpretrain ships the ImageNet AutoAugment policies only; they are used
# here (the CIFAR-10 policy of Cubuk et al. is not reproduced).
_base_ = ['./darts-v2_c10.py']

train_pipeline = [
    dict(type='mmpretrain.RandomCrop', crop_size=32, padding=4),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='mmpretrain.AutoAugment',
        policies='imagenet',
        hparams=dict(pad_val=[125, 123, 114])),
    dict(type='mmpretrain.Cutout', shape=16, pad_val=0, prob=1.0),
    dict(type='mmpretrain.PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
