"""Helpers shared by the ops tests (no tests of its own)."""
import pytest
import torch


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Run a test module with one torch thread: the ops tests run many calls
    on small images, where a second thread costs more than it saves (several
    times the run time on a loaded machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def random_image(*shape, seed=0):
    """A uint8 noise image or batch of the given shape."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, shape, dtype=torch.uint8, generator=generator)


def random_boxes(count, height, width, seed=0):
    """(count, 4) pixel xyxy boxes inside a height x width image."""
    generator = torch.Generator().manual_seed(seed)
    corners = torch.rand(count, 2, 2, generator=generator) * torch.tensor(
        [width, height])
    return torch.cat([corners.min(1).values, corners.max(1).values], dim=1)
