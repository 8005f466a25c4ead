"""StepTimer on CUDA times steps with events instead of synchronising the
device (issue 9). No GPU here: fake events with a fake device clock check
the bookkeeping (what is recorded, when events are read)."""
import pytest
import torch

from mmddarts.models.algorithms.step_timer import StepTimer


class FakeClock:
    now = 0.0  # device milliseconds


class FakeEvent:
    recorded = []
    reads = 0

    def __init__(self):
        self.t = None
        self.done = True

    def record(self):
        self.t = FakeClock.now
        FakeEvent.recorded.append(self)

    def query(self):
        return self.done

    def synchronize(self):
        self.done = True

    def elapsed_time(self, end):
        FakeEvent.reads += 1
        return end.t - self.t


def make_timer():
    timer = StepTimer(sync_cuda=True)
    timer.device_active = lambda: True
    timer.event_factory = FakeEvent
    FakeEvent.recorded, FakeEvent.reads = [], 0
    return timer


def test_parts_are_timed_by_events_read_lazily(monkeypatch):
    timer = make_timer()
    # the host must never wait for the device in a step
    monkeypatch.setattr(torch.cuda, 'synchronize',
                        lambda *a: (_ for _ in ()).throw(AssertionError))
    for i in range(3):
        with timer.time('arch', images=4):
            FakeClock.now += 250.0  # device ms spent by the arch kernels
        with timer.time('weights', images=2):
            FakeClock.now += 100.0
    assert len(FakeEvent.recorded) == 12 and FakeEvent.reads == 0
    sec = timer.seconds  # reading resolves the events
    assert FakeEvent.reads == 6
    assert sec['arch'] == pytest.approx(0.75)
    assert sec['weights'] == pytest.approx(0.3)
    assert timer.images['arch'] == 12 and timer.images['weights'] == 6
    assert timer.seconds['arch'] == pytest.approx(0.75)  # read once


def test_host_clock_for_unsynced_parts_and_without_cuda():
    timer = make_timer()
    with timer.time('data', sync=False):
        pass
    assert FakeEvent.recorded == [] and timer.seconds['data'] >= 0
    timer = StepTimer(sync_cuda=True)  # no CUDA here: host clock
    with timer.time('arch', images=1):
        pass
    assert timer.seconds['arch'] >= 0 and timer.images['arch'] == 1


def test_pending_events_are_bounded():
    timer = make_timer()
    timer.max_pending = 4
    for i in range(10):
        with timer.time('arch'):
            FakeClock.now += 1.0
    assert len(timer._pending) <= 4  # completed ones were collected
    assert timer.seconds['arch'] == pytest.approx(0.01)
