"""ACA versions of shipped genotypes for the export / detection tests."""
import random


def aca_version(genotype, width=16, seed=0):
    """``genotype`` with allocations on every non-skip edge: random
    fractions (1/4, 1/2, 3/4) and random ranks searched at ``width``."""
    rnd = random.Random(seed)
    allocs = []
    for gene in genotype.genes:
        row = []
        for op, _, _ in gene:
            ranks = list(range(width))
            rnd.shuffle(ranks)
            row.append(None if op == 'skip_connect' else
                       dict(fraction=rnd.choice([0.25, 0.5, 0.75]),
                            ranks=ranks))
        allocs.append(row)
    return genotype.replace(allocations=allocs)
