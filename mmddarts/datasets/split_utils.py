"""Deterministic index partitions shared by the dataset classes.

Both functions depend on numpy's seeded ``default_rng`` only (not on the
scikit-learn version), so a split is the same on every machine and rank.
"""
from typing import Optional, Sequence, Tuple

import numpy as np


def _check_count(num_first: int, total: int) -> None:
    if not 0 <= num_first <= total:
        raise ValueError(
            f'num_first must lie in [0, {total}], got {num_first}')


def random_split(total: int, num_first: int,
                 seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Cut ``range(total)`` into two disjoint random parts.

    Returns:
        tuple: sorted indices of the first part (``num_first`` of them) and of
        the second part (the rest).
    """
    _check_count(num_first, total)
    perm = np.random.default_rng(seed).permutation(total)
    return np.sort(perm[:num_first]), np.sort(perm[num_first:])


def stratified_split(labels: Sequence[int],
                     num_first: int,
                     seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Cut indices into two disjoint parts with the class ratios preserved.

    Class ``c`` with ``n_c`` samples gives ``floor(n_c * p)`` samples to the
    first part (``p = num_first / total``); the samples left over to reach
    exactly ``num_first`` go one each to the classes with the largest
    fractional remainders (ties: smaller class id first). Inside a class the
    samples are picked by a seeded permutation.

    Returns:
        tuple: sorted indices of the first part and of the second part.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f'labels must be 1-D, got shape {labels.shape}')
    total = len(labels)
    _check_count(num_first, total)
    classes, counts = np.unique(labels, return_counts=True)
    exact = counts * (num_first / max(total, 1))
    quota = np.floor(exact).astype(np.int64)
    left = num_first - int(quota.sum())
    # Largest remainder; lexsort's last key is the primary one.
    order = np.lexsort((classes, -(exact - quota)))
    quota[order[:left]] += 1

    rng = np.random.default_rng(seed)
    first = []
    for cls, k in zip(classes, quota):
        members = np.flatnonzero(labels == cls)
        first.append(members[rng.permutation(len(members))[:k]])
    first = np.sort(np.concatenate(first)) if first else np.zeros(0, int)
    mask = np.ones(total, dtype=bool)
    mask[first] = False
    return first, np.flatnonzero(mask)


def split_indices(total: int,
                  num_first: int,
                  labels: Optional[Sequence[int]] = None,
                  seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Stratified split when labels are given, random split otherwise."""
    if labels is None:
        return random_split(total, num_first, seed)
    if len(labels) != total:
        raise ValueError(f'got {len(labels)} labels for {total} samples')
    return stratified_split(labels, num_first, seed)
