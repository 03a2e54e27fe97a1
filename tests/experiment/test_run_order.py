"""The order of an experiment's runs: seed by seed, so that an experiment
stopped part of the way (a session's end, a killed job) leaves complete
pairs of arms rather than whole arms and none of others."""
import os.path as osp

from ddas_mm.experiment import Experiment
from tool_runner import REPO

EXPERIMENT = osp.join(REPO, 'tests', 'configs', 'experiment_tiny.py')


def test_runs_go_seed_by_seed(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    path = tmp_path / 'experiment.py'
    path.write_text(open(EXPERIMENT).read() +
                    "\narms = ['none', 'bare', 'uniform']\nseeds = [3, 5]\n")
    experiment = Experiment(str(path), str(tmp_path / 'work'))
    assert [(run.arm, run.seed) for run in experiment.runs] == [
        ('none', 3), ('bare', 3), ('uniform', 3),
        ('none', 5), ('bare', 5), ('uniform', 5)]
    assert experiment.runs[1].work_dir == osp.join(
        str(tmp_path / 'work'), 'runs', 'bare', 'seed3')
