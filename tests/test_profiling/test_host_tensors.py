"""OpCounter(track_host=True) on a CPU-only run: scalar reads of tensors a
GPU run keeps on the host (factory outputs, torch.tensor(), what is computed
from them alone) are host reads, not syncs; reads of anything computed from
a pre-existing tensor (a parameter, an input) or written from one are."""
import torch

from mmddarts.profiling.op_counter import OpCounter


def tracked(fn):
    with OpCounter(track_host=True) as c:
        fn()
    return c


def test_factory_and_host_arithmetic_are_host_reads():
    def fn():
        step = torch.zeros(())  # like torch.optim's step counter
        step += 1
        int(step)
        float(torch.tensor(2.0) * 3)  # lift_fresh, then host arithmetic
        int(torch.randint(0, 10, (1, )))  # a seed from the CPU RNG

    c = tracked(fn)
    assert c.syncs == 0 and sum(c.host_reads.values()) == 3


def test_device_data_makes_syncs():
    p = torch.randn(3)  # made before counting: a device tensor
    rows = []

    def fn():
        float(p.sum())  # 1
        acc = torch.zeros(())
        acc.add_(p.sum())  # written from device data
        float(acc)  # 2
        bool(torch.tensor(1.0) + p[0] > 0)  # host + device: 3
        buf = [torch.zeros(3)]
        torch._foreach_add_(buf, [p])  # foreach write (returns None)
        rows.append(float(buf[0][0]))  # 4

    c = tracked(fn)
    assert c.syncs == 4 and not c.host_reads


def test_without_tracking_every_cpu_read_is_a_sync():
    c = OpCounter()
    with c:
        int(torch.zeros(()))
    assert c.syncs == 1 and not c.host_reads


def test_optimizer_step_counters_stay_on_host():
    # torch.optim's Adam (not capturable) keeps `step` on the CPU and
    # reads it every step: no device sync in a GPU run
    ps = [torch.nn.Parameter(torch.randn(3)) for _ in range(2)]
    opt = torch.optim.Adam(ps, lr=0.1, foreach=False)

    def step():
        for p in ps:
            p.grad = p.detach() * 2
        opt.step()

    counter = OpCounter(track_host=True)
    with counter:
        step()  # creates the step counters under tracking
        counter.reset()
        step()
    assert counter.syncs == 0 and counter.ops > 0
    assert sum(counter.host_reads.values()) >= 1
    with OpCounter() as untracked:
        step()
    assert untracked.syncs == sum(counter.host_reads.values())
    # stepped before tracking: the counters are pre-existing tensors
    # (device by default) until declared
    late = OpCounter(track_host=True)
    with late:
        step()
    assert late.syncs == untracked.syncs
    late = OpCounter(track_host=True)
    late.host.mark_optimizer_steps([opt])
    with late:
        step()
    assert late.syncs == 0


def test_accelerator_run_cpu_tensors_are_host():
    # in a run on a device ('meta' stands in for a GPU here), a CPU tensor
    # is on the host whatever made it
    p = torch.randn(3)

    def fn():
        torch.ones(2, device='meta') * 2
        float(p.sum())

    c = tracked(fn)
    assert c.syncs == 0 and sum(c.host_reads.values()) == 1


def test_dead_host_tensor_ids_are_forgotten():
    from mmddarts.profiling.host_tensors import HostTensors
    host = HostTensors()
    with OpCounter() as c:
        c.host = host
        t = torch.zeros(3)
    key = id(t)
    assert host.is_host(t)
    del t
    assert key not in host._host  # a new tensor reusing the id is device
