# A derived (D-)DARTS network for 32x32 images: CIFAR stem, cells from a
# genotype, global average pooling, linear classifier, and DARTS' auxiliary
# head (weight 0.4) on the last reduction cell, used in training only.
# Heads take their in_channels from the backbone (widths depend on the
# genotype). Drop path ramps linearly to 0.2 over training (DropPathHook).
# Child configs for other data sets set head.num_classes and
# aux_head.num_classes.
model = dict(
    type='mmddarts.DDartsImageClassifier',
    backbone=dict(
        type='mmddarts.DDartsNet',
        genotype='configs/genotypes/darts-v2.json',
        channels=36,
        num_cells=None,  # None: the genotype's; more: Algorithm 1
        reductions=None,  # Algorithm 1's target reductions (None: its rule)
        stem='cifar',
        stem_multiplier=3,
        drop_path_mode='node'),
    neck=dict(type='mmpretrain.GlobalAveragePooling'),
    head=dict(
        type='mmpretrain.LinearClsHead',
        num_classes=10,
        loss=dict(type='mmpretrain.CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)),
    aux_head=dict(
        type='mmddarts.AuxiliaryHeadCIFAR',
        num_classes=10,
        loss=dict(type='mmpretrain.CrossEntropyLoss', loss_weight=0.4)))

custom_hooks = [dict(type='mmddarts.DropPathHook', drop_path_rate=0.2)]
