# Filled by the modules of this package.
from .genotype_drawer import cell_groups, draw_genotype  # noqa: F401
