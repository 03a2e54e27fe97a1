"""A test-only hook: after every search step, each process appends alpha and
a checksum of every network parameter (exact, as float hex) to
``<work_dir>/alpha_rank<rank>.jsonl``."""
import json
import os.path as osp

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class AlphaRecorderHook(Hook):
    """Record alpha and the network after every iteration, per process."""

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        policy = runner.train_loop.policy
        model = runner.model
        model = model.module if is_model_wrapper(model) else model
        record = dict(
            iter=runner.iter,
            alpha_tp=policy.alpha_tp.item().hex(),
            alpha_o=[v.hex() for v in policy.alpha_o.tolist()],
            params=[p.double().sum().item().hex()
                    for p in model.parameters()])
        path = osp.join(runner.work_dir, f'alpha_rank{get_rank()}.jsonl')
        with open(path, 'a') as f:
            f.write(json.dumps(record) + '\n')
