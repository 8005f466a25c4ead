"""Genotypes and the torch-free algorithms over them: parsing architecture
weights (``darts``/``sparse``/``edge``), Algorithm 1 (expansion), the
baselines, random architectures, ACA channel allocations and the distance
metric."""
from .baselines import BASELINE_NAMES, get_baseline
from .distance import (OpScores, cell_distance, cell_distances, cell_rows,
                       distance_matrix, genotype_distance)
from .expand import expand_genotype, expansion_map, spread_reductions
from .genotype import (Edge, Genotype, GenotypeError, GenotypeWarning,
                       default_reductions, gene_concat)
from .json_text import parse_json
from .legacy import (load_genotype_table, parse_legacy_genotype,
                     read_genotype_table)
from .loading import genotype_from_any, load_genotype
from .op_sets import (DARTS_OPS, EXTENDED_OPS, NONE_OP, OP_SETS, get_op_names,
                      smallest_op_set)
from .parsing import (PARSE_METHODS, EmptyGeneError, EmptyGeneWarning,
                      parse_gene, parse_genotype)

__all__ = [
    'Edge', 'Genotype', 'GenotypeError', 'GenotypeWarning', 'parse_json',
    'default_reductions', 'gene_concat',
    'DARTS_OPS', 'EXTENDED_OPS', 'NONE_OP', 'OP_SETS', 'get_op_names',
    'smallest_op_set', 'parse_legacy_genotype', 'read_genotype_table',
    'load_genotype_table', 'load_genotype', 'genotype_from_any',
    'PARSE_METHODS', 'EmptyGeneError', 'EmptyGeneWarning', 'parse_gene',
    'parse_genotype', 'expand_genotype', 'expansion_map', 'spread_reductions',
    'BASELINE_NAMES', 'get_baseline', 'OpScores', 'cell_distance',
    'cell_distances', 'cell_rows', 'distance_matrix', 'genotype_distance'
]
