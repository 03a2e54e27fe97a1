"""A test-only hook: after every iteration, each process appends the ops
DynamicDDASAugment applied to each sample of the batch (the ``ddas_ops``
meta key) to ``<work_dir>/replay_ops_rank<rank>.jsonl``."""
import json
import os.path as osp

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class ReplayOpsRecorderHook(Hook):
    """Record the replayed ops of every batch, per process."""

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        ops = [list(sample.ddas_ops) for sample in data_batch['data_samples']]
        path = osp.join(runner.work_dir, f'replay_ops_rank{get_rank()}.jsonl')
        with open(path, 'a') as f:
            f.write(json.dumps(dict(iter=runner.iter, ops=ops)) + '\n')
