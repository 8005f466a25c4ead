"""ACA channel allocations of a genotype's edges (torch-free; docs/aca.md).

An allocation says which output channels of an edge keep the edge's op and
which are refilled with identity (ACA: skips searched per channel). It is
stored width-free, so a gene searched at C=16 builds at C=36 or at any
Algorithm-1 depth:

- ``fraction``: the share of the edge's channels that keep the op, in [0, 1];
- ``ranks``: ``ranks[s]`` is the importance rank (0 = most important) of
  channel ``s`` of the searched cell, a permutation of ``0..Cs-1``.

At width ``C`` (:func:`op_channels`) target channel ``c`` takes the rank of
searched channel ``floor(c * Cs / C)`` (the channel covering the same
relative position), ties broken by ``c``; the ``round(fraction * C)``
best-ranked channels keep the op (half rounds up). At ``C == Cs`` this is
exactly the searched split.
"""
import math
from typing import NamedTuple, Tuple


class AllocationError(ValueError):
    """A channel allocation that cannot be used; the message says where."""


class EdgeAllocation(NamedTuple):
    """Op share and channel ranks of one edge (see the module doc)."""
    fraction: float
    ranks: Tuple[int, ...]

    def to_dict(self):
        return {'fraction': self.fraction, 'ranks': list(self.ranks)}


def check_allocation(value, where):
    """``value`` (an :class:`EdgeAllocation`, a dict ``{'fraction',
    'ranks'}`` or None) as an :class:`EdgeAllocation` or None; raises
    :class:`AllocationError` naming ``where`` otherwise."""
    if value is None or isinstance(value, EdgeAllocation):
        alloc = value
    elif isinstance(value, dict):
        keys = set(value)
        if keys != {'fraction', 'ranks'}:
            raise AllocationError(
                f"{where}: an allocation needs exactly the keys 'fraction' "
                f"and 'ranks', got {sorted(keys)}")
        alloc = EdgeAllocation(value['fraction'], value['ranks'])
    else:
        raise AllocationError(f'{where}: an allocation must be null or '
                              f'{{"fraction", "ranks"}}, got {value!r}')
    if alloc is None:
        return None
    frac, ranks = alloc
    if isinstance(frac, bool) or not isinstance(frac, (int, float)) or \
            not math.isfinite(frac) or not 0. <= frac <= 1.:
        raise AllocationError(
            f'{where}: fraction {frac!r} outside [0, 1]')
    if not isinstance(ranks, (list, tuple)) or not ranks or not all(
            isinstance(r, int) and not isinstance(r, bool) for r in ranks):
        raise AllocationError(f'{where}: ranks must be a non-empty list of '
                              f'integers, got {ranks!r}')
    if sorted(ranks) != list(range(len(ranks))):
        raise AllocationError(
            f'{where}: ranks {list(ranks)} are not a permutation of '
            f'0..{len(ranks) - 1}')
    return EdgeAllocation(float(frac), tuple(ranks))


def num_op_channels(fraction, C):
    """Channels that keep the op at width ``C``: ``round(fraction * C)``,
    half up (never banker's rounding: 0.5 * 1 keeps the one channel)."""
    return min(C, int(math.floor(fraction * C + 0.5)))


def op_channels(alloc, C, stride=1, where='edge'):
    """``(op, rest)``: sorted channel indices at width ``C`` that keep the
    op and that become identity.

    The even-width rule of stride 2 (docs/aca.md): the identity part of a
    reduction edge is DARTS' FactorizedReduce, two stride-2 1x1 convs
    splitting its channels, which needs at least 2; a single leftover
    channel is given to the op instead (``rest`` is then empty)."""
    if not isinstance(C, int) or C < 1:
        raise AllocationError(f'{where}: width {C!r} is too small to split '
                              '(need at least 1 channel)')
    Cs = len(alloc.ranks)
    k = num_op_channels(alloc.fraction, C)
    order = sorted(range(C), key=lambda c: (alloc.ranks[c * Cs // C], c))
    if stride == 2 and C - k == 1:
        k = C
    return sorted(order[:k]), sorted(order[k:])


def identity_share(alloc, C, stride=1):
    """Share of ``C`` channels refilled with identity (0 for no allocation)."""
    if alloc is None:
        return 0.
    return len(op_channels(alloc, C, stride)[1]) / C
