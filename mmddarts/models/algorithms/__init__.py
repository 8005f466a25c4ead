"""The bi-level search algorithm and its DDP wrapper."""
from .ddarts_search import DDartsSearch
from .ddarts_search_ddp import DDartsSearchDDP

__all__ = ['DDartsSearch', 'DDartsSearchDDP']
