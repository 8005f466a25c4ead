"""ACA channel allocators: scores of one edge -> :class:`EdgeAllocation`.

Torch-free, float64 (Python floats). Every allocator ranks the channels by
score, highest first, ties broken by channel index (a stable rule, so equal
scores give the identity order), and differs only in the op's share:

- ``otsu`` (default): Otsu's threshold, i.e. the 2-means split of the
  sorted scores that maximises the between-class variance
  ``w0 * w1 * (m0 - m1)^2``; the upper class keeps the op. Only splits
  between different values are candidates (tied channels stay together);
  among equally good splits the one keeping more channels wins. No split
  possible (one channel, all scores equal): every channel keeps the op.
- ``proportional``: the op's share of the edge's architecture weight among
  the non-``none`` candidates, ``w_o / sum_{k != none} w_k``.
- ``fixed_ratio``: ``1 / K`` (PC-DARTS' partial channels, K=4): a labelled
  ABLATION, not ACA (ACA claims no such hyper-parameter).
"""
from .channel_allocation import EdgeAllocation


def channel_ranks(scores):
    """``ranks[c]``: rank of channel ``c`` (0 = highest score; ties by
    index)."""
    order = sorted(range(len(scores)), key=lambda c: (-scores[c], c))
    ranks = [0] * len(scores)
    for r, c in enumerate(order):
        ranks[c] = r
    return tuple(ranks)


def _checked(scores, where):
    scores = [float(s) for s in scores]
    if not scores:
        raise ValueError(f'{where}: no channel scores')
    bad = [s for s in scores if not s == s or s in (float('inf'),
                                                    float('-inf'))]
    if bad:
        raise ValueError(f'{where}: non-finite channel scores {bad[:3]}')
    return scores


def otsu_split(scores):
    """Number of channels in the upper class of Otsu's split (see the
    module doc)."""
    v = sorted(scores, reverse=True)
    n = len(v)
    total = sum(v)
    best_k, best = n, 0.
    top = 0.
    for k in range(1, n):
        top += v[k - 1]
        if not v[k - 1] > v[k]:
            continue  # never split tied values
        m0, m1 = top / k, (total - top) / (n - k)
        var = (k / n) * ((n - k) / n) * (m0 - m1) ** 2
        # relative tolerance: equal variances computed in another order
        if var > best * (1 + 1e-12) or (best > 0 and
                                        abs(var - best) <= 1e-12 * best):
            best_k, best = k, var
    return best_k


class OtsuAllocator:
    """Op share = size of Otsu's upper class / C (module doc)."""
    label = 'otsu'

    def __call__(self, scores, op_share=None, where='edge'):
        scores = _checked(scores, where)
        k = otsu_split(scores)
        return EdgeAllocation(k / len(scores), channel_ranks(scores))


class ProportionalAllocator:
    """Op share = the op's weight among the non-``none`` candidates."""
    label = 'proportional'

    def __call__(self, scores, op_share=None, where='edge'):
        scores = _checked(scores, where)
        if op_share is None or not 0. <= op_share <= 1.:
            raise ValueError(f'{where}: proportional allocation needs the '
                             f"op's weight share in [0, 1], got {op_share}")
        return EdgeAllocation(float(op_share), channel_ranks(scores))


class FixedRatioAllocator:
    """ABLATION (PC-DARTS' 1/K, a hyper-parameter ACA does without)."""
    label = 'fixed_ratio'

    def __init__(self, K=4):
        if not isinstance(K, int) or K < 1:
            raise ValueError(f'fixed_ratio: K must be a positive int, got '
                             f'{K!r}')
        self.K = K

    def __call__(self, scores, op_share=None, where='edge'):
        scores = _checked(scores, where)
        return EdgeAllocation(1. / self.K, channel_ranks(scores))


ALLOCATORS = {
    'otsu': OtsuAllocator,
    'proportional': ProportionalAllocator,
    'fixed_ratio': FixedRatioAllocator,
}


def pool_scores(scores, width):
    """Scores of a cell of ``len(scores)`` channels carried to ``width``
    channels by the rank map of :mod:`.channel_allocation` (channel ``c`` of
    width ``C`` covers channel ``floor(c * width / C)``): each target channel
    gets the mean of the channels covering it. Used to merge the cells of
    one shared gene (different widths) into one ranking."""
    C = len(scores)
    groups = [[] for _ in range(width)]
    for c in range(C):
        groups[c * width // C].append(scores[c])
    return [sum(g) / len(g) if g else scores[s * C // width]
            for s, g in enumerate(groups)]
