# First-order bi-level search schedule (D-DARTS / FairDARTS recipe):
# weights: SGD 0.005 -> 0.001 cosine, momentum 0.9, wd 3e-4, grad-clip 5;
# alphas:  Adam 3e-3 -> 1e-3 cosine, betas (0.9, 0.999), wd 1e-3.
# `--amp` in tools/train.py switches both wrappers to AmpOptimWrapper.
max_epochs = 50
optim_wrapper = dict(
    constructor='mmddarts.SearchOptimWrapperConstructor',
    architecture=dict(
        type='OptimWrapper',
        optimizer=dict(
            type='Adam', lr=3e-3, betas=(0.9, 0.999), weight_decay=1e-3)),
    weights=dict(
        type='OptimWrapper',
        optimizer=dict(
            type='SGD', lr=0.005, momentum=0.9, weight_decay=3e-4),
        clip_grad=dict(max_norm=5.0)))
# One schedule list per optimizer (runner.build_param_scheduler keys a dict
# of schedulers by the OptimWrapperDict's names). `end` defaults to
# max_epochs and T_max to end - begin, so changing max_epochs is enough.
param_scheduler = dict(
    architecture=[
        dict(type='CosineAnnealingLR', eta_min=1e-3, by_epoch=True, begin=0)
    ],
    weights=[
        dict(type='CosineAnnealingLR', eta_min=1e-3, by_epoch=True, begin=0)
    ])
train_cfg = dict(
    type='mmddarts.SearchEpochBasedTrainLoop',
    max_epochs=max_epochs,
    val_interval=1)
val_cfg = dict()
test_cfg = dict()
