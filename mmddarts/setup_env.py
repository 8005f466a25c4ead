"""One call that makes every mmddarts module and fix available."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register mmddarts' modules and the safe checkpoint loader.

    Imports ``mmddarts.datasets``, ``.models``, ``.engine`` and
    ``.visualization`` (each registers its modules in
    ``mmddarts.registry``) and installs
    :func:`mmddarts.utils.checkpoint.load_from_local_allowlisted` for local
    paths.

    Args:
        init_default_scope (bool): Also make ``mmddarts`` the default scope,
            so configs may name our modules without the ``mmddarts.`` prefix
            (mmpretrain/mmdet modules then need theirs, e.g.
            ``mmpretrain.PackInputs``). Leave it False when the config's
            ``default_scope`` should decide, as ``tools/train.py`` does.
    """
    import mmddarts.datasets  # noqa: F401,F811
    import mmddarts.engine  # noqa: F401,F811
    import mmddarts.models  # noqa: F401,F811
    import mmddarts.visualization  # noqa: F401,F811
    from mmddarts.utils.checkpoint import register_checkpoint_loader
    register_checkpoint_loader()

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or not DefaultScope.check_instance_created(
            'mmddarts'):
        DefaultScope.get_instance('mmddarts', scope_name='mmddarts')
    elif current.scope_name != 'mmddarts':
        warnings.warn(f'The current default scope "{current.scope_name}" is '
                      'not "mmddarts"; register_all_modules switches to a '
                      'new "mmddarts" scope.')
        # A DefaultScope instance name must be unique.
        name = f'mmddarts-{datetime.datetime.now()}'
        DefaultScope.get_instance(name, scope_name='mmddarts')
