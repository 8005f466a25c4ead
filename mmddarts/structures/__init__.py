from .genotype import Edge, Genotype, GenotypeError, default_reductions, gene_concat
from .legacy import load_genotype_table, parse_legacy_genotype, read_genotype_table
from .op_sets import DARTS_OPS, EXTENDED_OPS, NONE_OP, OP_SETS, get_op_names, smallest_op_set

__all__ = [
    'Edge', 'Genotype', 'GenotypeError', 'default_reductions', 'gene_concat',
    'DARTS_OPS', 'EXTENDED_OPS', 'NONE_OP', 'OP_SETS', 'get_op_names',
    'smallest_op_set', 'parse_legacy_genotype', 'read_genotype_table',
    'load_genotype_table'
]
