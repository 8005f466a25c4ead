# darts-v2_c10 with the CIFAR-10 AutoAugment policy of Cubuk et al. (25
# sub-policies, mmddarts.CIFAR10AutoAugment), placed after crop + flip and
# before Cutout, as DARTS-family training code commonly does.
_base_ = ['./darts-v2_c10.py']

cifar10_mean = [125, 123, 114]  # RGB, 0..255: pad colour of the ops
train_pipeline = [
    dict(type='mmpretrain.RandomCrop', crop_size=32, padding=4),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='mmddarts.CIFAR10AutoAugment',
        image_size=32,
        hparams=dict(pad_val=cifar10_mean)),
    # DARTS' Cutout, hole = the normalisation mean (0 once normalised)
    dict(
        type='mmddarts.DARTSCutout',
        length=16,
        pad_val={{_base_.data_preprocessor.mean}}),
    dict(type='mmpretrain.PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
