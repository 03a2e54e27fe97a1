"""Fixtures every test gets."""
import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread per test: the tiny models and small images of the
    tests gain nothing from more, and on a busy machine OpenMP threads
    waiting for each other make them many times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
