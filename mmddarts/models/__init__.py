# Importing the subpackages registers their modules in mmddarts.registry.MODELS.
from . import (algorithms, arch_steps, backbones,  # noqa: F401
               classifiers, heads, losses, search, wrappers)
from . import data_preprocessors  # noqa: F401
