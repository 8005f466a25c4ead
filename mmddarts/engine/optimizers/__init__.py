"""Optimizer wrappers of the bi-level search and their constructor."""
from .search_optim_wrapper import SearchAmpOptimWrapper, SearchOptimWrapper
from .search_optim_wrapper_constructor import SearchOptimWrapperConstructor

__all__ = [
    'SearchAmpOptimWrapper', 'SearchOptimWrapper',
    'SearchOptimWrapperConstructor'
]
