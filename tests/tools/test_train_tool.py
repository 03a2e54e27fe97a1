"""tools/train.py and tools/test.py on a real mmpretrain model."""
import os
import os.path as osp
import pickle
import shutil
import sys

import pytest
import torch
from tool_runner import REPO, run_tool
from tool_runner import train as train_tool

# Each test here trains, or runs a tool in a subprocess.
pytestmark = pytest.mark.slow

TINY_CONFIG = osp.join(REPO, 'tests', 'configs',
                       'lenet5_fashion-mnist_tiny.py')


def train(work_dir, *extra, **kwargs):
    return train_tool(TINY_CONFIG, work_dir, *extra, **kwargs)


def model_weights(checkpoint_path):
    return torch.load(checkpoint_path, map_location='cpu')['state_dict']


@pytest.fixture(scope='module')
def uninterrupted_run(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('full')
    train(work_dir)
    return work_dir


def test_train_two_epochs_writes_checkpoints(uninterrupted_run):
    assert osp.exists(uninterrupted_run / 'epoch_1.pth')
    assert osp.exists(uninterrupted_run / 'epoch_2.pth')
    # The checkpoint loads with torch's default, weights_only=True.
    checkpoint = torch.load(uninterrupted_run / 'epoch_2.pth')
    assert checkpoint['meta']['epoch'] == 2


def test_resume_from_epoch_1_matches_uninterrupted_run(
        uninterrupted_run, tmp_path):
    # Only epoch 1 exists in the resumed run's work dir.
    shutil.copy(uninterrupted_run / 'epoch_1.pth', tmp_path / 'epoch_1.pth')
    result = train(tmp_path, '--resume', str(tmp_path / 'epoch_1.pth'))
    assert 'resumed epoch: 1' in result.stdout + result.stderr
    resumed = model_weights(tmp_path / 'epoch_2.pth')
    reference = model_weights(uninterrupted_run / 'epoch_2.pth')
    assert resumed.keys() == reference.keys()
    for key in reference:
        assert torch.equal(resumed[key], reference[key]), key


def test_resume_auto_finds_latest_checkpoint(uninterrupted_run, tmp_path):
    shutil.copy(uninterrupted_run / 'epoch_1.pth', tmp_path / 'epoch_1.pth')
    with open(tmp_path / 'last_checkpoint', 'w') as f:
        f.write(str(tmp_path / 'epoch_1.pth'))
    result = train(tmp_path, '--resume')
    assert 'resumed epoch: 1' in result.stdout + result.stderr
    assert osp.exists(tmp_path / 'epoch_2.pth')


def test_test_tool_evaluates_a_checkpoint(uninterrupted_run, tmp_path):
    predictions = tmp_path / 'predictions.pkl'
    result = run_tool([
        sys.executable, 'tools/test.py', TINY_CONFIG,
        str(uninterrupted_run / 'epoch_2.pth'), '--work-dir',
        str(tmp_path), '--out',
        str(predictions)
    ])
    assert 'accuracy/top1' in result.stdout + result.stderr
    with open(predictions, 'rb') as f:
        assert len(pickle.load(f)) == 128  # the tiny config's test images


class Payload:
    """An arbitrary object: unpickling it would run this module's code."""

    def __reduce__(self):
        return (os.system, ('echo unsafe',))


def test_checkpoint_with_arbitrary_object_is_refused(uninterrupted_run,
                                                     tmp_path):
    checkpoint = torch.load(uninterrupted_run / 'epoch_1.pth')
    checkpoint['meta']['payload'] = Payload()
    bad = tmp_path / 'epoch_1.pth'
    torch.save(checkpoint, bad)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(bad)
    result = train(tmp_path, '--resume', str(bad), check=False)
    assert result.returncode != 0
    assert 'Weights only load failed' in result.stderr
    assert 'unsafe' not in result.stdout
    assert not osp.exists(tmp_path / 'epoch_2.pth')
