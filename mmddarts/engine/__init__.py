# Importing the subpackages registers hooks and loops.
from . import hooks, loops  # noqa: F401
from . import optimizers  # noqa: F401
