"""A test-only hook: before every search step, each process appends the
epoch and, per S_train sample of the batch, its index in the split and a
digest of its image to ``<work_dir>/batches_rank<rank>.jsonl``."""
import hashlib
import json
import os.path as osp

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class BatchRecorderHook(Hook):
    """Record which images, cropped and flipped how, each step trains on."""

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        samples = {
            str(sample.sample_idx):
            hashlib.sha1(image.numpy().tobytes()).hexdigest()
            for image, sample in zip(data_batch['inputs'],
                                     data_batch['data_samples'])
        }
        record = dict(epoch=runner.epoch, samples=samples)
        path = osp.join(runner.work_dir, f'batches_rank{get_rank()}.jsonl')
        with open(path, 'a') as f:
            f.write(json.dumps(record) + '\n')
