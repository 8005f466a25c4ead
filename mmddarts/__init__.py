"""mmddarts: D-DARTS for OpenMMLab."""
from .utils.checkpoint import register_checkpoint_loader
from .version import __version__

# torch >= 2.6 loads with weights_only=True, which refuses mmengine 0.10.7's
# own checkpoints (HistoryBuffer): allowlist what mmengine writes, so
# `--resume` and `init_cfg=dict(type='Pretrained')` work however the Runner
# is built.
register_checkpoint_loader()

__all__ = ['__version__']
