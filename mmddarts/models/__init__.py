# Importing the subpackages registers their modules in mmddarts.registry.MODELS.
from . import (algorithms, backbones, classifiers, heads, losses,  # noqa: F401
               search, wrappers)
from . import data_preprocessors  # noqa: F401
