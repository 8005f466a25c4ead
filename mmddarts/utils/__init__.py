# Filled by the modules of this package.
from .checkpoint import (load_from_local_allowlisted,  # noqa: F401
                         register_checkpoint_loader, trust_checkpoint)
from .setup_env import register_all_modules  # noqa: F401
from .dist_utils import init_cpu_dist_if_needed  # noqa: F401
