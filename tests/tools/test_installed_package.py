"""ddas_mm installed with ``pip install`` into a fresh virtual environment,
used outside the repository: the comparison harness searches, retrains and
tests through the installed package's entry points."""
import os
import os.path as osp
import shutil
import subprocess
import sys
import sysconfig

import pytest
from mmengine.config import Config

from tool_runner import REPO

# Each test here trains, or runs a tool in a subprocess.
pytestmark = pytest.mark.slow


def _run(command, cwd, timeout=600):
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    result = subprocess.run(command, cwd=cwd, env=dict(env,
                                                       OMP_NUM_THREADS='1'),
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, (result.stdout[-3000:] +
                                    result.stderr[-3000:])
    return result.stdout


def test_harness_runs_from_an_installed_package(tmp_path):
    # What `pip install .` needs of the repository, copied away from it.
    source = tmp_path / 'source'
    source.mkdir()
    for name in ('setup.py', 'README.md'):
        shutil.copy(osp.join(REPO, name), source / name)
    for name in ('ddas_mm', 'requirements'):
        shutil.copytree(osp.join(REPO, name), source / name,
                        ignore=shutil.ignore_patterns('__pycache__'))

    # A fresh environment whose dependencies (torch, the MM stack) are this
    # one's, through a .pth line after its own site-packages: nothing is
    # downloaded, and this environment's editable ddas_mm is not on its path.
    venv = tmp_path / 'venv'
    _run([sys.executable, '-m', 'venv', '--without-pip', str(venv)],
         tmp_path)
    python = str(venv / 'bin' / 'python')
    site = _run([python, '-c', 'import sysconfig; '
                 "print(sysconfig.get_paths()['purelib'])"], tmp_path).strip()
    with open(osp.join(site, 'dependencies.pth'), 'w') as f:
        f.write(sysconfig.get_paths()['purelib'] + '\n')
    _run([python, '-m', 'pip', 'install', '--quiet', '--no-deps',
          '--no-build-isolation', '--no-index', '--ignore-installed',
          str(source)], tmp_path)
    shutil.rmtree(source)

    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    # Data where OpenMMLab configs look for it: data/ in the working dir.
    os.symlink(osp.join(REPO, 'data'), elsewhere / 'data')
    where = _run([python, '-c', 'import ddas_mm; print(ddas_mm.__file__)'],
                 elsewhere).strip()
    assert where.startswith(site), where

    # The test experiment, with its configs given by absolute paths (they
    # are the user's files, not the package's), two arms.
    experiment = Config.fromfile(
        osp.join(REPO, 'tests', 'configs', 'experiment_tiny.py'))
    experiment.search = osp.join(REPO, experiment.search)
    experiment.retrain = osp.join(REPO, experiment.retrain)
    experiment.arms = ['none', 'ddas']
    experiment.dump(str(elsewhere / 'experiment.py'))
    out = _run([python, '-m', 'ddas_mm.tools.compare_policies',
                'experiment.py', '--work-dir', 'results'], elsewhere)

    assert f'[compare] results in {elsewhere / "results"}' in out
    table = (elsewhere / 'results' / 'results.md').read_text()
    for arm in ('| none |', '| ddas |'):
        assert arm in table, table
    assert (elsewhere / 'results' / 'search' / 'ddas_policy.json').exists()
