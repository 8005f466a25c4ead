# Filled by the modules of this package.
from .search_optim_wrapper_constructor import \
    SearchOptimWrapperConstructor  # noqa: F401
from .search_optim_wrapper import (SearchAmpOptimWrapper,  # noqa: F401
                                   SearchOptimWrapper)
