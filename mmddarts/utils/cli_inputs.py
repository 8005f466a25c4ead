"""Input files of the command-line tools: a missing or unreadable file ends
the tool with one line naming it (``SystemExit``), never a traceback."""
import os.path as osp


def require_file(path, what='file', hint=''):
    """``path`` when it is an existing file, else exit with one line."""
    if not osp.exists(path):
        raise SystemExit(f'error: {what} not found: {path}{hint}')
    if not osp.isfile(path):
        raise SystemExit(f'error: {what} is not a file: {path}{hint}')
    return path


def load_config(path, required=('model', )):
    """``mmengine.Config.fromfile(path)``, with a missing file, a file that
    is not a config (``.py``/``.json``/``.yaml``), one that fails to load or
    one without the ``required`` top-level keys (a genotype JSON given as
    the config) reported in one line."""
    from mmengine.config import Config
    require_file(path, 'config file')
    if not path.endswith(('.py', '.json', '.yaml', '.yml')):
        raise SystemExit(f'error: {path}: not a config file (expected '
                         '.py, .json or .yaml)')
    try:
        cfg = Config.fromfile(path)
    except Exception as err:  # noqa: BLE001 -- reported, not swallowed
        msg = ' '.join(str(err).split()) or type(err).__name__
        raise SystemExit(f'error: cannot load config {path}: '
                         f'{type(err).__name__}: {msg}') from None
    missing = [k for k in required if k not in cfg]
    if missing:
        raise SystemExit(f'error: {path}: not a model config (no top-level '
                         f'{", ".join(missing)})')
    return cfg
