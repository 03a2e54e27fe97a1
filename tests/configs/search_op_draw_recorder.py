"""A test-only hook: every augmented copy the search makes is recorded, per
process, as the changed region of each image (rows and columns it spans),
to ``<work_dir>/op_draws_rank<rank>.jsonl``."""
import json
import os.path as osp

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

import ddas_mm.engine.batch_augment as batch_augment


def _changed_region(before, after):
    changed = (before != after).any(0).nonzero()
    if not len(changed):
        return None
    return changed.min(0).values.tolist() + changed.max(0).values.tolist()


@HOOKS.register_module()
class OpDrawRecorderHook(Hook):
    """Wrap the loop's batch augmentation to record what it changed."""

    def before_train(self, runner):
        augment_batch = batch_augment.augment_batch
        path = osp.join(runner.work_dir, f'op_draws_rank{get_rank()}.jsonl')

        def recorded(space, policy, data, targets, generator, channel_order):
            out = augment_batch(space, policy, data, targets, generator,
                                channel_order)
            if not policy:  # the clean batch D_0
                return out
            regions = [
                _changed_region(before, after)
                for before, after in zip(data['inputs'], out['inputs'])
            ]
            with open(path, 'a') as f:
                f.write(json.dumps(dict(iter=runner.iter, regions=regions)) +
                        '\n')
            return out

        batch_augment.augment_batch = recorded
