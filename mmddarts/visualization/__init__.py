"""Drawings of genotypes (one panel per distinct cell)."""
from .genotype_drawer import cell_groups, draw_genotype

__all__ = ['cell_groups', 'draw_genotype']
