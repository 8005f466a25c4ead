# Filled by the modules of this package.
from .search_optim_wrapper_constructor import \
    SearchOptimWrapperConstructor  # noqa: F401
