"""Ramp the drop-path rate of derived networks over training epochs."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmddarts.registry import HOOKS


@HOOKS.register_module()
class DropPathHook(Hook):
    """Set ``drop_path_prob = drop_path_rate * epoch / max_epochs`` on every
    module of the model that has a ``drop_path_prob`` attribute (e.g.
    :class:`mmddarts.models.DDartsNet`), before each training epoch.

    The rate grows linearly from 0 at the first epoch, exactly as DARTS'
    ``train.py`` (``epoch`` counted from 0, so the last epoch uses
    ``drop_path_rate * (max_epochs - 1) / max_epochs``).

    Args:
        drop_path_rate: the rate reached at ``max_epochs`` (DARTS: 0.2).
    """

    priority = 'NORMAL'

    def __init__(self, drop_path_rate=0.2):
        if not 0. <= drop_path_rate < 1.:
            raise ValueError(
                f'DropPathHook: drop_path_rate must be in [0, 1), got '
                f'{drop_path_rate}')
        self.drop_path_rate = drop_path_rate

    @staticmethod
    def rate_at(drop_path_rate, epoch, max_epochs):
        if max_epochs <= 0:
            raise ValueError(f'DropPathHook: max_epochs must be positive, '
                             f'got {max_epochs}')
        return drop_path_rate * epoch / max_epochs

    def before_train_epoch(self, runner):
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        targets = [m for m in model.modules() if hasattr(m, 'drop_path_prob')]
        if not targets:
            raise RuntimeError(
                'DropPathHook: no module of the model has a drop_path_prob '
                'attribute; remove the hook or use a DDartsNet backbone')
        rate = self.rate_at(self.drop_path_rate, runner.epoch,
                            runner.max_epochs)
        for m in targets:
            m.drop_path_prob = rate
        runner.message_hub.update_scalar('train/drop_path_prob', rate)
