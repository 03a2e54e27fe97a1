"""One DDAS search step in a real mmengine Runner, checked independently.

For a real mmpretrain classifier and a real mmdet RetinaNet: the network
moves by exactly one step of the configured optimizer with the combined
gradient of Eq. 12, and alpha by exactly one Adam step with the policy
gradient of Eq. 15-17, both recomputed here from the batches the step saw.
"""
import copy
import os.path as osp

import torch
import pytest
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from ddas_mm.engine.batch_augment import augment_batch, batch_on_device
from ddas_mm.datasets.endless_loader import EndlessLoader
from ddas_mm.policy.randomness import op_generator, policy_generator
from ddas_mm.policy import DDASPolicy
from ddas_mm.testing import make_coco_detection_set
from tool_runner import REPO

# Each test here trains, or runs a tool in a subprocess.
pytestmark = pytest.mark.slow

CONFIGS = osp.join(REPO, 'tests', 'configs')


class StepRecorder(Hook):
    """Keeps the model, alpha and batch before, and the state after, the
    first iteration."""

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter == 0:
            loop = runner.train_loop
            self.model = copy.deepcopy(runner.model)
            self.alpha = [p.detach().clone() for p in loop.policy.parameters()]
            self.batch = data_batch

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.iter == 0:
            self.params_after = [
                p.detach().clone() for p in runner.model.parameters()
            ]
            self.alpha_after = [
                p.detach().clone()
                for p in runner.train_loop.policy.parameters()
            ]
            self.outputs = outputs


def _run_one_step(cfg, tmp_path):
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_cfg.max_epochs = 1
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    recorder = StepRecorder()
    runner.register_hook(recorder)
    runner.train()
    return runner, recorder


def _branch_grads(model, batches):
    grads = []
    for batch in batches:
        data = model.data_preprocessor(batch, True)
        loss, _ = model.parse_losses(model(**data, mode='loss'))
        grads.append(torch.autograd.grad(loss, list(model.parameters()),
                                         allow_unused=True))
    return [[torch.zeros_like(p) if g is None else g
             for p, g in zip(model.parameters(), branch)]
            for branch in grads]


def _check_step(runner, recorder, optimizer_cls, optimizer_kwargs,
                estimator='paper'):
    loop = runner.train_loop
    model = recorder.model
    alpha_tp, alpha_o = recorder.alpha

    # The batches of the step: the generators of iteration 0 draw the
    # policies and, on rank 0, the ops' random directions.
    policies = DDASPolicy(loop.space.K, loop.space.num_ops).sample(
        loop.num_policies, policy_generator(runner.seed, 0))
    generator = op_generator(runner.seed, 0, 0)
    # The batch as the dataloader gave it (a list of images; the search
    # stacks them), with the boxes the search moves (its targets).
    data = model.data_preprocessor.cast_data(recorder.batch)
    _, targets = batch_on_device(recorder.batch, model.data_preprocessor)
    batches = [data]
    for policy in policies.tolist():
        batches.append(
            augment_batch(loop.space, policy, data, targets, generator,
                          loop.channel_order))
    grads = _branch_grads(model, batches)

    # Eq. 12 written out: w_l = p_tp P(phi_l) / Z, the clean batch 1 - p_tp.
    def weights(a_tp, a_o):
        p_phi = torch.softmax(a_o, 0)[policies].prod(1)
        w = torch.sigmoid(a_tp) * p_phi / p_phi.sum().detach()
        return torch.cat([(1 - w.sum()).reshape(1), w])

    w = weights(alpha_tp, alpha_o).detach()
    params = list(model.parameters())
    for i, p in enumerate(params):
        p.grad = sum(w[b] * grads[b][i] for b in range(len(grads)))
    optimizer_cls(params, **optimizer_kwargs).step()
    for expected, actual in zip(params, recorder.params_after):
        torch.testing.assert_close(actual, expected.detach(), rtol=1e-5,
                                   atol=1e-6)

    # g_val at theta_{t+1} on the first S_val batch, Eq. 15-17, one Adam
    # step: its first step moves every coordinate by lr * g / (|g| + eps).
    val_batch = next(EndlessLoader(loop.policy_dataloader))
    (g_val, ) = _branch_grads(model, [val_batch])
    flat = [torch.cat([g.reshape(-1) for g in branch]) for branch in grads]
    g_val = torch.cat([g.reshape(-1) for g in g_val])
    norms = torch.stack([f.norm() for f in flat])
    if estimator == 'equal-norm':  # each g_l at |g_0|
        flat = flat[:1] + [f * flat[0].norm() / f.norm() for f in flat[1:]]
    d = torch.stack([g_val @ (flat[0] - f) for f in flat[1:]])
    # Adam's first step sees only signs: compare the d_l themselves too.
    signal = loop.last_signal
    torch.testing.assert_close(signal.d, d, rtol=1e-4, atol=1e-7)
    torch.testing.assert_close(signal.grad_norms, norms, rtol=1e-4,
                               atol=1e-7)
    a_tp, a_o = alpha_tp.clone().requires_grad_(), alpha_o.clone(
    ).requires_grad_()
    surrogate = (d * weights(a_tp, a_o)[1:]).sum() / d.abs().sum()
    grad_tp, grad_o = torch.autograd.grad(surrogate, [a_tp, a_o])
    optimizers = loop.policy_optimizers
    for before, after, grad, optim in ((alpha_tp, recorder.alpha_after[0],
                                        grad_tp, optimizers.tp_optim),
                                       (alpha_o, recorder.alpha_after[1],
                                        grad_o, optimizers.policy_optim)):
        group = optim.param_groups[0]
        step = group['lr'] * grad / (grad.abs() + group['eps'])
        torch.testing.assert_close(after, before - step, rtol=1e-5, atol=1e-6)
        assert not torch.equal(after, before)


@pytest.mark.parametrize('estimator', ['paper', 'equal-norm'])
def test_classifier_step(tmp_path, estimator):
    cfg = Config.fromfile(osp.join(CONFIGS, 'search_lenet5_tiny.py'))
    cfg.train_dataloader.dataset.num_train = 16  # one step
    cfg.train_cfg.estimator = estimator
    runner, recorder = _run_one_step(cfg, tmp_path)
    _check_step(runner, recorder, torch.optim.SGD,
                dict(lr=0.05, momentum=0.9, weight_decay=1e-4), estimator)
    outputs = recorder.outputs
    assert {'loss', 'loss_clean', 'loss_aug1', 'loss_aug2', 'loss_val',
            'p_tp', 'entropy_p_o', 'policy_skip_rate'} <= set(outputs)
    assert osp.exists(osp.join(cfg.work_dir, 'ddas_policy.json'))
    assert osp.exists(osp.join(cfg.work_dir, 'ddas_policy.png'))


def test_retinanet_step(tmp_path):
    make_coco_detection_set(str(tmp_path / 'coco'), num_images=8)
    cfg = Config.fromfile(osp.join(CONFIGS, 'search_retinanet_tiny.py'))
    for dataset in (cfg.train_dataloader.dataset.dataset,
                    cfg.train_cfg.policy_dataloader.dataset.dataset):
        dataset.data_root = str(tmp_path / 'coco')
    runner, recorder = _run_one_step(cfg, tmp_path)
    assert type(recorder.model).__name__ == 'RetinaNet'
    _check_step(runner, recorder, torch.optim.SGD,
                dict(lr=0.01, momentum=0.9, weight_decay=1e-4))
    assert {'loss_cls', 'loss_bbox', 'loss_aug2'} <= set(recorder.outputs)
