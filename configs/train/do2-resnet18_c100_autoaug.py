# do2-resnet18_c100 with AutoAugment. CIFAR-100 has no AutoAugment policy
# of its own; the CIFAR-10 policy of Cubuk et al. is commonly reused for it,
# as here (after crop + flip, before Cutout).
_base_ = ['./do2-resnet18_c100.py']

cifar100_mean = [129, 124, 112]  # RGB, 0..255: pad colour of the ops
train_pipeline = [
    dict(type='mmpretrain.RandomCrop', crop_size=32, padding=4),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='mmddarts.CIFAR10AutoAugment',
        image_size=32,
        hparams=dict(pad_val=cifar100_mean)),
    # DARTS' Cutout, hole = the normalisation mean (0 once normalised)
    dict(
        type='mmddarts.DARTSCutout',
        length=16,
        pad_val={{_base_.data_preprocessor.mean}}),
    dict(type='mmpretrain.PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
