# Runtime of a search: checkpoints every epoch (alphas are parameters, so
# they are in the checkpoint with both optimizers and both schedulers),
# genotypes exported every epoch, BN statistics averaged across ranks.
default_scope = 'mmddarts'
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
custom_hooks = [
    dict(type='mmddarts.ArchStepScheduleHook', warmup_epochs=0, interval=1),
    dict(type='mmddarts.GenotypeExportHook'),
    dict(type='SyncBuffersHook'),
    # search_cost.json + table: wall time, GPU-days, split, peak memory
    dict(type='mmddarts.SearchCostHook'),
]
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
# DDP: average both the alphas' and the weights' grads (see DDartsSearchDDP).
model_wrapper_cfg = dict(type='mmddarts.DDartsSearchDDP')
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)
log_processor = dict(by_epoch=True)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
