# Filled by the modules of this package.
from .ddarts_search import DDartsSearch  # noqa: F401
from .ddarts_search_ddp import DDartsSearchDDP  # noqa: F401
