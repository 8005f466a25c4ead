"""mmddarts.profiling.op_counter.OpCounter against hand-counted cases: aten
compute ops (views and allocations free), host syncs (scalar reads), the
backward of a known graph, host_side() reads and the per-phase split."""
import pytest
import torch

from mmddarts.profiling.op_counter import DEFAULT_PHASE, OpCounter, host_side


def count(fn):
    with OpCounter() as c:
        fn()
    return c


def test_elementwise_forward_is_one_op_each():
    a, b, c = torch.randn(3), torch.randn(3), torch.randn(3)
    k = count(lambda: a * b + c)
    assert k.ops == 2 and k.syncs == 0
    assert k.by_name == {'aten.mul': 1, 'aten.add': 1}


def test_views_launch_nothing():
    a = torch.randn(2, 3)

    def views():
        a.view(3, 2).t().reshape(2, 3)[0].unsqueeze(0).expand(4, 3)
        a.transpose(0, 1).narrow(0, 1, 1).squeeze()
        a.detach()

    k = count(views)
    assert k.ops == 0 and k.syncs == 0, dict(k.by_name)


def test_uninitialised_allocations_are_free_fills_are_not():
    k = count(lambda: (torch.empty(5), torch.empty_like(torch.empty(2))))
    assert k.ops == 0
    k = count(lambda: torch.zeros(5))
    assert k.ops == 1  # a fill kernel


@pytest.mark.parametrize('read', [
    lambda t: t.item(), lambda t: float(t), lambda t: bool(t),
    lambda t: int(t)
], ids=['item', 'float', 'bool', 'int'])
def test_scalar_read_is_one_sync_and_no_op(read):
    t = torch.tensor(1.5)
    k = count(lambda: read(t))
    assert k.syncs == 1 and k.ops == 0
    assert k.sync_names == {'aten._local_scalar_dense': 1}


def test_host_side_reads_are_not_syncs():
    t = torch.tensor(3)

    def reads():
        with host_side():
            int(t)
            (t + 1).item()

    k = count(reads)
    assert k.syncs == 0
    assert k.ops == 1  # the add still counts
    k = count(lambda: int(t))  # and the mark ends with the block
    assert k.syncs == 1


def test_backward_of_known_graph():
    # y = sin(a) * b; dy/da = g * b * cos(a), dy/db = g * sin(a):
    # MulBackward0 -> g * b, g * sin(a) (2 mul); SinBackward0 -> grad *
    # a.cos() (cos + mul). Leaves without a .grad: no accumulation op.
    a = torch.randn(4, requires_grad=True)
    b = torch.randn(4, requires_grad=True)
    g = torch.randn(4)
    y = torch.sin(a) * b
    k = count(lambda: torch.autograd.grad(y, [a, b], g))
    assert k.by_name == {'aten.mul': 3, 'aten.cos': 1}
    assert k.syncs == 0


def test_scalar_backward_seeds_with_ones():
    # (a * b).sum().backward(): the seed gradient (ones_like), SumBackward0
    # is an expand (a view), MulBackward0 two muls
    a = torch.randn(3, requires_grad=True)
    b = torch.randn(3, requires_grad=True)
    y = (a * b).sum()
    k = count(y.backward)
    assert k.by_name == {'aten.ones_like': 1, 'aten.mul': 2}


def test_phases_split_ops_and_syncs():
    a = torch.randn(3)
    with OpCounter() as k:
        a + 1  # other
        with k.phase('fwd'):
            a * 2
            float(a.sum())
            with k.phase('inner'):
                a.exp()
            a.neg()  # back in 'fwd'
        a.sin()  # back in the default phase
    assert k.by_phase['fwd'] == {'aten.mul': 1, 'aten.sum': 1,
                                 'aten.neg': 1}
    assert k.syncs_by_phase['fwd'] == {'aten._local_scalar_dense': 1}
    assert k.by_phase['inner'] == {'aten.exp': 1}
    assert k.by_phase[DEFAULT_PHASE] == {'aten.add': 1, 'aten.sin': 1}
    assert DEFAULT_PHASE not in k.syncs_by_phase
    total = sum(k.by_phase.values(), start=type(k.by_name)())
    assert total == k.by_name and k.ops == 6 and k.syncs == 1


def test_phase_label_restored_after_error():
    k = OpCounter()
    with pytest.raises(RuntimeError):
        with k.phase('p'):
            raise RuntimeError('boom')
    with k:
        torch.ones(2).neg()
    assert k.by_phase == {DEFAULT_PHASE: {'aten.neg': 1, 'aten.ones': 1}}


def test_profiler_markers_are_free():
    # torch.optim wraps every step in one: no kernel behind it
    a = torch.randn(3)

    def marked():
        with torch.autograd.profiler.record_function('step'):
            a.neg()

    k = count(marked)
    assert k.by_name == {'aten.neg': 1}


def test_optimizer_step_ops():
    # SGD without momentum, foreach off: one add_ (p -= lr * g) per param
    ps = [torch.nn.Parameter(torch.randn(3)) for _ in range(2)]
    for p in ps:
        p.grad = torch.ones(3)
    opt = torch.optim.SGD(ps, lr=0.1, foreach=False)
    k = count(opt.step)
    assert k.by_name == {'aten.add_': 2} and k.syncs == 0


def _reads_twice(t):
    float(t)  # site A
    return bool(t > 0)  # site B


def test_sync_sites_name_the_calling_lines():
    import inspect
    t = torch.tensor(2.0)
    with OpCounter(trace_syncs=True) as k:
        _reads_twice(t)
        _reads_twice(t)
    first = inspect.getsourcelines(_reads_twice)[1]
    here = 'tests/test_profiling/test_op_counter.py'
    assert k.sync_sites == {
        f'{here}:{first + 1} (_reads_twice)': 2,
        f'{here}:{first + 2} (_reads_twice)': 2}
    with OpCounter() as k:  # off by default
        float(t)
    assert not k.sync_sites
