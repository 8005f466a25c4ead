# Runtime shared by the derived-network (classification) configs.
# default_scope is mmpretrain so that mmpretrain's own modules, and the
# defaults inside them (e.g. ClsHead's 'CrossEntropyLoss'), resolve without
# prefixes; mmddarts modules are named 'mmddarts.Xxx' (mmengine then imports
# mmddarts.registry and its locations by itself).
default_scope = 'mmpretrain'
custom_imports = dict(imports=['mmddarts'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # No save_best: the classification configs validate on the test split
    # (CIFAR test, ImageNet val), so a "best" checkpoint would be chosen on
    # test data. Report the last epoch's checkpoint, as DARTS does.
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False),
)

env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=None, deterministic=False)

# mmengine's DDP wrapper that also runs on CPU-only machines (gloo) with
# tools/dist_train.sh; unchanged behaviour on GPUs.
model_wrapper_cfg = dict(type='mmddarts.DeviceAwareDDP')
