from .genotype import Edge, Genotype, GenotypeError, default_reductions, gene_concat
from .op_sets import DARTS_OPS, EXTENDED_OPS, NONE_OP, OP_SETS, get_op_names

__all__ = [
    'Edge', 'Genotype', 'GenotypeError', 'default_reductions', 'gene_concat',
    'DARTS_OPS', 'EXTENDED_OPS', 'NONE_OP', 'OP_SETS', 'get_op_names'
]
