"""A test-only hook: the loss terms of every forward pass of the search (the
clean batch, each augmented copy, the S_val batch), in order, to
``<work_dir>/search_losses.jsonl``, one line per iteration."""
import json
import os.path as osp

from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class SearchLossRecorderHook(Hook):
    """Wrap the loop's forward_backward to record what each pass returned."""

    def before_train(self, runner):
        loop = runner.train_loop
        forward_backward = loop.forward_backward
        self.passes = []

        def recorded(model, optim_wrapper, data):
            loss, log_vars = forward_backward(model, optim_wrapper, data)
            self.passes.append({k: float(v) for k, v in log_vars.items()})
            return loss, log_vars

        loop.forward_backward = recorded

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        with open(osp.join(runner.work_dir, 'search_losses.jsonl'), 'a') as f:
            f.write(json.dumps(self.passes) + '\n')
        self.passes = []
