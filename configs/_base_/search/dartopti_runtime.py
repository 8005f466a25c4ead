# DARTOpti runtime and schedule (includes dartopti_schedule.py, whose epoch
# counts the hooks below use): the search runtime plus
# - ArchStepScheduleHook(warmup_epochs=pretrain_epochs): weight-only
#   pretraining epochs;
# - ArchDistanceHook: distance of the `edge`-parsed architecture (the
#   reference's metric parse) to the start and to the previous epoch, every
#   epoch (arch_distance.json / .png in the work dir). start=None takes the
#   architecture parsed before the first epoch, which for DARTOpti IS the
#   baseline (tests/test_models/test_dartopti.py checks all three); set
#   start='<genotype file>' to measure from a file instead;
# - DistanceEarlyStopHook: stop once the distance to the start has stayed
#   within 0.001 for 5 consecutive epochs, counting epochs from
#   pretrain_epochs + 6 = 11 (1-based; the reference's 0-based
#   pretrain_epochs + 5, paper section 5.4), so the earliest stop is after
#   epoch 15 and the window never includes pretraining epochs. The
#   stop epoch's checkpoint and the final genotypes are still written.
_base_ = ['./search_runtime.py', './dartopti_schedule.py']

custom_hooks = [
    dict(
        type='mmddarts.ArchStepScheduleHook',
        warmup_epochs={{_base_.pretrain_epochs}},
        interval=1),
    dict(type='mmddarts.GenotypeExportHook'),
    dict(type='mmddarts.ArchDistanceHook', start=None, method='edge'),
    dict(
        type='mmddarts.DistanceEarlyStopHook',
        tol=1e-3,
        patience=5,
        begin_epoch={{_base_.early_stop_begin}}),
    dict(type='SyncBuffersHook'),
    # search_cost.json + table: wall time, GPU-days, split, peak memory
    dict(type='mmddarts.SearchCostHook'),
]
