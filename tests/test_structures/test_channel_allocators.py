"""ACA allocators on hand-made score vectors (float64, hand-computed)."""
import pytest

from mmddarts.structures.channel_allocators import (FixedRatioAllocator,
                                                    OtsuAllocator,
                                                    ProportionalAllocator,
                                                    channel_ranks, otsu_split,
                                                    pool_scores)


def brute_otsu(v):
    """Every split of the sorted scores between different values, its
    between-class variance by the definition, the best (more kept on a
    tie); no split -> all."""
    v = sorted(v, reverse=True)
    n = len(v)
    best, best_k = 0.0, n
    for k in range(1, n):
        if v[k - 1] == v[k]:
            continue
        m0 = sum(v[:k]) / k
        m1 = sum(v[k:]) / (n - k)
        var = k * (n - k) * (m0 - m1) ** 2 / n ** 2
        if var >= best - 1e-15 and var > 0:
            best, best_k = var, k
    return best_k


def test_otsu_hand_cases():
    # [3,1,1,1]: k=1 var .25*.75*4 = .75 beats k=2 (.25) and k=3 (.083)
    assert otsu_split([3., 1., 1., 1.]) == 1
    # [1,1,0,0]: k=2 (.25) beats k=1, k=3 (.0833)
    assert otsu_split([0., 1., 0., 1.]) == 2
    # [2,2,1]: k=1 would split a tie; k=2 -> 2
    assert otsu_split([2., 1., 2.]) == 2
    # symmetric [3,2,1,0]: k=2 var .25*4=1 vs k=1 .1875*(3-1)^2=.75
    assert otsu_split([0., 1., 2., 3.]) == 2


@pytest.mark.parametrize('scores', [
    [0.3, 0.1, 0.9, 0.85, 0.2, 0.05],
    [5., 4., 4., 1., 0.5, 0.5, 0.4],
    [1e-3, 2e-3, 0.5, 0.51, 0.52, 0.9, 1.1, 0.0],
    [1.] * 7 + [2.],
])
def test_otsu_matches_brute_force(scores):
    assert otsu_split(scores) == brute_otsu(scores)


def test_all_equal_and_single_channel_keep_the_op():
    a = OtsuAllocator()([0.7] * 5)
    assert a.fraction == 1.0 and a.ranks == (0, 1, 2, 3, 4)
    a = OtsuAllocator()([0.0] * 3)
    assert a.fraction == 1.0
    a = OtsuAllocator()([0.4])
    assert a.fraction == 1.0 and a.ranks == (0, )


def test_ranks_break_ties_by_channel():
    assert channel_ranks([1., 3., 1., 3.]) == (2, 0, 3, 1)
    a = OtsuAllocator()([1., 3., 1., 3.])
    assert a.fraction == 0.5 and a.ranks == (2, 0, 3, 1)


def test_proportional_and_fixed_ratio():
    a = ProportionalAllocator()([0.1, 0.3, 0.2], op_share=0.4)
    assert a.fraction == 0.4 and a.ranks == (2, 0, 1)
    with pytest.raises(ValueError, match='needs the op'):
        ProportionalAllocator()([0.1], op_share=None, where='cell 0, edge 1')
    assert FixedRatioAllocator(K=4)([1., 2.]).fraction == 0.25
    with pytest.raises(ValueError, match='positive int'):
        FixedRatioAllocator(K=0)


def test_bad_scores_name_the_edge():
    with pytest.raises(ValueError, match='cell 1, edge 3: no channel'):
        OtsuAllocator()([], where='cell 1, edge 3')
    with pytest.raises(ValueError, match='non-finite'):
        OtsuAllocator()([1., float('nan')])


def test_pool_scores_follows_the_rank_map():
    # 8 channels to 4: channel c covers c*4//8 -> pairs averaged
    assert pool_scores([1, 3, 2, 2, 0, 4, 5, 7], 4) == [2, 2, 2, 6]
    assert pool_scores([1., 2.], 2) == [1., 2.]
