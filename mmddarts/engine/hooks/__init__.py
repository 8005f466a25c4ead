# Filled by the modules of this package.
from .drop_path_hook import DropPathHook  # noqa: F401
