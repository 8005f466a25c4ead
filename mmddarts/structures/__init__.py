from .genotype import (Edge, Genotype, GenotypeError, GenotypeWarning,
                       default_reductions, gene_concat)
from .json_text import parse_json
from .legacy import load_genotype_table, parse_legacy_genotype, read_genotype_table
from .op_sets import DARTS_OPS, EXTENDED_OPS, NONE_OP, OP_SETS, get_op_names, smallest_op_set

__all__ = [
    'Edge', 'Genotype', 'GenotypeError', 'GenotypeWarning', 'parse_json',
    'default_reductions', 'gene_concat',
    'DARTS_OPS', 'EXTENDED_OPS', 'NONE_OP', 'OP_SETS', 'get_op_names',
    'smallest_op_set', 'parse_legacy_genotype', 'read_genotype_table',
    'load_genotype_table'
]
