# DARTOpti schedule: `pretrain_epochs` (5) epochs that train the weights only,
# then `search_epochs` (50) bi-level epochs, as the reference train_search.py
# (`epochs += pretrain_epochs`). The weights' cosine (0.005 -> 0.001) spans
# all 55 epochs, as the reference's; the architecture's Adam cosine
# (3e-3 -> 1e-3) starts with the search (begin=pretrain_epochs; mmengine
# keeps the initial lr before `begin`), so the alphas' first step uses the
# full 3e-3. Optimizers: see search_schedule.py.
# A child changing pretrain_epochs / search_epochs must also restate
# param_scheduler, train_cfg and custom_hooks (they are computed here and in
# dartopti_runtime.py when the base files are read). Configs include it
# through dartopti_runtime.py.
_base_ = ['./search_schedule.py']

pretrain_epochs = 5
search_epochs = 50
max_epochs = pretrain_epochs + search_epochs
# first epoch whose distance the early stop counts (1-based, pretraining
# included): the reference records it from 0-based epoch
# pretrain_epochs + 5, i.e. 1-based 11; with the 5-epoch window the
# earliest stop is after epoch 15, and pretraining epochs never count
early_stop_begin = pretrain_epochs + 6
param_scheduler = dict(
    architecture=[
        dict(
            type='CosineAnnealingLR',
            eta_min=1e-3,
            by_epoch=True,
            begin=pretrain_epochs,
            end=max_epochs)
    ],
    weights=[
        dict(
            type='CosineAnnealingLR',
            eta_min=1e-3,
            by_epoch=True,
            begin=0,
            end=max_epochs)
    ])
train_cfg = dict(max_epochs=max_epochs)
