"""Run the repository's tools/ in a subprocess, as a user would.

Shared by the tests that launch training, testing and distributed runs.
"""
import os
import os.path as osp
import socket
import subprocess
import sys
from typing import Optional

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def free_port() -> int:
    """A free TCP port on the loopback interface, for a torchrun master."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def run_tool(command: list,
             env: Optional[dict] = None,
             timeout: int = 600,
             check: bool = True) -> subprocess.CompletedProcess:
    """Run a command in the repository root.

    The tools run with this interpreter (``PYTHON``, which the dist scripts
    read), one OpenMP thread (small models gain nothing from more, and on a
    busy 2-core machine waiting threads make them many times slower) and a
    free torchrun port.

    Args:
        command (list): The command, e.g. ``[sys.executable,
            'tools/train.py', config, ...]``.
        env (dict, optional): More environment variables.
        timeout (int): Seconds before the run is killed.
        check (bool): Fail the test, with the end of the output, unless the
            command exits with 0.

    Returns:
        CompletedProcess: With ``stdout`` and ``stderr`` as text.
    """
    full_env = dict(
        os.environ,
        PYTHON=sys.executable,
        OMP_NUM_THREADS='1',
        PORT=str(free_port()),
        **(env or {}))
    result = subprocess.run(
        command, cwd=REPO, env=full_env, capture_output=True, text=True,
        timeout=timeout)
    if check:
        assert result.returncode == 0, (
            f'{" ".join(map(str, command))} failed:\n'
            f'{(result.stdout + result.stderr)[-6000:]}')
    return result


def train(config: str, work_dir, *options, **kwargs):
    """``python tools/train.py CONFIG --work-dir WORK_DIR OPTIONS...``."""
    return run_tool([
        sys.executable, 'tools/train.py', config, '--work-dir',
        str(work_dir), *options
    ], **kwargs)


def dist_train(config: str, processes: int, work_dir, *options, **kwargs):
    """``tools/dist_train.sh CONFIG PROCESSES --work-dir WORK_DIR ...``."""
    return run_tool([
        'bash', 'tools/dist_train.sh', config,
        str(processes), '--work-dir',
        str(work_dir), *options
    ], **kwargs)
