"""LiveMemory: peak bytes of live tensor storages, checked on hand-sized
cases (every size below is counted by hand, in bytes)."""
import torch

from mmddarts.profiling.live_memory import LiveMemory

F32 = 4


def test_counts_new_storages_once_and_frees_them():
    with LiveMemory() as mem:
        a = torch.ones(1000)                # +4000
        b = a * 2                           # +4000 -> 8000
        v = b.view(10, 100)[:5]             # a view: nothing
        del a                               # -4000 -> 4000
        c = torch.cat([b, b])               # +8000 -> 12000
        assert mem.current == 12000
        del b, v, c                         # everything freed
    assert mem.current == 0
    assert mem.peak == 12000


def test_in_place_and_preexisting_storages_are_not_counted():
    w = torch.zeros(1000)
    with LiveMemory() as mem:
        w.add_(1)                           # in place: no new storage
        torch.mul(w, 2, out=w)              # out=: no new storage
        x = w.view(-1)                      # a view of an old storage
        del x
    del w                                   # freed outside: never counted
    assert mem.peak == 0 and mem.current == 0


def test_backward_saved_tensors_and_gradients():
    w = torch.randn(256, requires_grad=True)
    with LiveMemory() as mem:
        y = w.exp()                         # +1024, saved by ExpBackward
        loss = (y * y).sum()                # y*y +1024, sum +4, y*y freed
        assert mem.peak == 2048 + F32
        assert mem.current == 1024 + F32
        mem.reset_peak()
        loss.backward()                     # w.grad +1024, temporaries
        del y, loss
    # what is left: w.grad (allocated inside) and nothing else
    assert mem.current == 256 * F32
    # the backward held y, loss, the grad of y*y's input and w.grad
    assert 1024 + F32 + 2 * 1024 <= mem.peak <= 1024 + F32 + 4 * 1024


def test_peak_is_the_largest_sum_not_the_total_allocated():
    with LiveMemory() as mem:
        for _ in range(5):
            t = torch.empty(10_000)         # +40000, then replaced
            del t
    assert mem.peak == 40_000
    assert mem.current == 0
