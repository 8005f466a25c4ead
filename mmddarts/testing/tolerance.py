"""Float comparisons scaled to the magnitude compared.

Two computations of the same network (a reference layout and ours, oneDNN and
ATen kernels, AVX2 and AVX-512 code paths) sum in different orders, so their
float32 results differ by rounding that grows with the magnitude of the
values, not with any absolute scale. ``torch.testing.assert_close``'s
elementwise ``rtol`` fails on one element that happens to be near zero (its
error is relative to the tensor, not to itself) and its ``atol`` means
nothing on tensors of size 1e17. So compare the error's norm with the
tensor's norm.
"""
import torch

# float32's unit roundoff is 6e-8. A forward pass of a toy network is ~10-50
# layers, each a dot product of up to a few thousand terms whose summation
# order depends on the kernel: relative errors of a few 1e-7 per layer that
# add up to ~1e-6 of the output's norm. 1e-5 leaves a 10x margin on every CPU
# tried (docs/testing.md, "Numerics"), and any real difference (a weight
# mapped to the wrong place, a missing op) changes the output by O(1)
# relative to it.
FORWARD_RTOL = 1e-5


def rel_error(got, want):
    """``||got - want|| / ||want||`` in float64 (0 when both are zero)."""
    got = torch.as_tensor(got).detach().double()
    want = torch.as_tensor(want).detach().double()
    assert got.shape == want.shape, f'shape {tuple(got.shape)} vs ' \
        f'{tuple(want.shape)}'
    scale = want.norm()
    diff = (got - want).norm()
    if scale == 0:
        return float(diff)
    return float(diff / scale)


def assert_rel_close(got, want, rtol=FORWARD_RTOL, what='tensor'):
    """``||got - want|| <= rtol * ||want||``, with both finite."""
    assert torch.isfinite(torch.as_tensor(want)).all(), f'{what}: not finite'
    assert torch.isfinite(torch.as_tensor(got)).all(), f'{what}: not finite'
    err = rel_error(got, want)
    assert err <= rtol, (f'{what}: relative error {err:.3g} > {rtol:g} '
                         f'(norm {float(torch.as_tensor(want).norm()):.3g})')
