# Filled by the modules of this package.
from .baselines import BASELINE_NAMES, get_baseline  # noqa: F401
from .expand import expand_genotype, expansion_map, spread_reductions  # noqa: F401
from .distance import (OpScores, cell_distance, cell_distances, cell_rows, distance_matrix, genotype_distance)  # noqa: F401
