"""Fixtures every test gets."""
import os.path as osp

import pytest
import torch

from ddas_mm.policy import PolicySchedule
from ddas_mm.policy.schedule import POLICY_FILENAME


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread per test: the tiny models and small images of the
    tests gain nothing from more, and on a busy machine OpenMP threads
    waiting for each other make them many times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='session')
def policy_file(tmp_path_factory):
    """Write a policy file as a search writes it.

    Returns:
        Callable: ``write(space, records, path=None, meta=None) -> str``:
        ``records`` are ``(p_tp, p_o)`` per search epoch over the
        ``SearchSpace`` ``space``; the file goes to ``path``, else to a
        fresh temporary folder as ``ddas_policy.json``; returns its path.
    """

    def write(space, records, path=None, meta=None) -> str:
        schedule = PolicySchedule(space, meta)
        for p_tp, p_o in records:
            schedule.append(p_tp, p_o)
        path = str(path or osp.join(tmp_path_factory.mktemp('policy'),
                                    POLICY_FILENAME))
        schedule.dump(path)
        return path

    return write
