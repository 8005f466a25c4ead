"""Shared fixtures of the detection tests."""
import pytest


@pytest.fixture(autouse=True)
def one_thread():
    # Tiny convolutions gain nothing from threads, and on a loaded 2-core
    # machine OpenMP threads that wait for each other make an iteration ~30x
    # slower (measured: 85 s -> 2.3 s for 3 RetinaNet iterations).
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
