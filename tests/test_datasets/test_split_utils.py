import numpy as np
import pytest

from mmddarts.datasets.split_utils import (random_split, split_indices,
                                           stratified_split)


def test_stratified_hand_computed_quota():
    # p = 3/6: exact shares 1.5, 1.0, 0.5 -> floors 1, 1, 0 (sum 2); the one
    # left goes to the largest remainder, a tie (0.5) between classes 0 and
    # 2 won by the smaller id -> first part holds 2 x class 0, 1 x class 1.
    labels = np.array([2, 0, 1, 0, 1, 0])
    first, second = stratified_split(labels, 3, seed=0)
    assert sorted(labels[first].tolist()) == [0, 0, 1]
    assert sorted(labels[second].tolist()) == [0, 1, 2]


@pytest.mark.parametrize('seed', [0, 1])
def test_stratified_partition_properties(seed):
    rng = np.random.default_rng(123)
    labels = rng.integers(0, 7, size=503)
    first, second = stratified_split(labels, 251, seed=seed)
    assert len(first) == 251 and len(second) == 252
    assert not set(first) & set(second)
    assert sorted(np.concatenate([first, second]).tolist()) == list(range(503))
    # each class is cut within one sample of the exact ratio
    for c in range(7):
        n_c = int((labels == c).sum())
        k_c = int((labels[first] == c).sum())
        assert abs(k_c - n_c * 251 / 503) < 1
    again, _ = stratified_split(labels, 251, seed=seed)
    np.testing.assert_array_equal(first, again)


def test_seed_changes_the_split():
    labels = np.arange(200) % 4
    a, _ = stratified_split(labels, 100, seed=0)
    b, _ = stratified_split(labels, 100, seed=1)
    assert not np.array_equal(a, b)


def test_random_split_and_dispatch():
    first, second = random_split(10, 4, seed=3)
    assert len(first) == 4 and len(second) == 6
    assert sorted(first.tolist() + second.tolist()) == list(range(10))
    np.testing.assert_array_equal(split_indices(10, 4, None, 3)[0], first)
    with pytest.raises(ValueError, match='labels'):
        split_indices(10, 4, [0, 1], 0)
    with pytest.raises(ValueError, match='num_first'):
        random_split(10, 11)
