"""Non-finite architecture weights must not parse into a genotype."""
import numpy as np
import pytest
import torch

from mmddarts.structures.parsing import (edge_index, num_edges, parse_gene,
                                         parse_genotype)
from mmddarts.structures.op_sets import DARTS_OPS


@pytest.mark.parametrize('method', ['darts', 'sparse', 'edge'])
@pytest.mark.parametrize('bad', [np.nan, np.inf, -np.inf])
def test_all_nan_gene_raises(method, bad):
    W = np.full((num_edges(4), len(DARTS_OPS)), bad)
    with pytest.raises(ValueError, match='non-finite'):
        parse_gene(W, DARTS_OPS, 4, method, 0.85)


def test_single_nan_names_owner_cells_and_edge():
    ops = list(DARTS_OPS)
    good = np.full((num_edges(2), len(ops)), 0.9)
    bad = good.copy()
    bad[edge_index(3, 1), 2] = np.nan  # edge 3 <- 1 is row 3
    # owner 1 is used by cells 1 and 3
    with pytest.raises(ValueError) as err:
        parse_genotype([good, torch.from_numpy(bad)], ops, seq=[0, 1, 0, 1],
                       reductions=[], steps=2)
    msg = str(err.value)
    assert 'alpha owner 1' in msg and '[1, 3]' in msg and 'edge(s) [3]' in msg
    # the same weights without the NaN parse
    parse_genotype([good, good], ops, seq=[0, 1, 0, 1], reductions=[],
                   steps=2)
