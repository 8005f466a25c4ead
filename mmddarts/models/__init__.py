"""Networks. Importing the subpackages registers their modules in
``mmddarts.registry.MODELS``."""
from . import (algorithms, arch_steps, backbones, classifiers,
               data_preprocessors, heads, losses, search, wrappers)

__all__ = [
    'algorithms', 'arch_steps', 'backbones', 'classifiers',
    'data_preprocessors', 'heads', 'losses', 'search', 'wrappers'
]
