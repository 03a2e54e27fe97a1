"""DDASSearchLoop: the DDAS search as an mmengine training loop.

One iteration is one search step of paper §3 (Algorithm 1, lines 5-13):

1. draw L-hat policies uniformly, the same on every rank (§3.5.1); the ops'
   own draws (directions, positions) differ between ranks;
2. gradients g_0 .. g_L of the train loss on the clean batch D_0 and on each
   augmented copy D_l (one policy per copy, applied to the whole batch on the
   model's device, before normalisation), all at theta_t, all-reduced across
   ranks in one collective;
3. the network's update with the combined gradient of Eq. 12, through
   ``runner.optim_wrapper`` (clip_grad, weight decay, AMP, schedulers);
4. g_val, the gradient of the loss of one S_val batch at theta_{t+1}
   (without the model's batch augments: S_val is the test pipeline);
5. d_l = g_val . (g_0 - g_l) and Z_g = sum_l |d_l| (Eq. 15), or another
   estimator of d_l (``estimator``);
6. Adam steps on alpha_o and alpha_tp with the gradient of Eq. 16-17.
"""
import logging
import math
from typing import Dict, List, NamedTuple, Optional

import torch
from mmengine.dist import get_rank
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.registry import LOOPS
from mmengine.runner import EpochBasedTrainLoop

from ddas_mm.datasets.endless_loader import EndlessLoader
from ddas_mm.datasets.sample_seeds import set_sample_seeds
from ddas_mm.ops import SEG_IGNORE_LABEL, check_channel_order
from ddas_mm.policy import DDASPolicy, defaults
from ddas_mm.policy.estimator import (branch_weights, combine_gradients,
                                      get_estimator, gradient_normaliser)
from ddas_mm.policy.randomness import op_generator, policy_generator
from .batch_augment import batch_on_device, branch_batches
from .batch_augments_off import without_batch_augments
from .flat_gradients import FlatGradients
from .network_optimizer_checks import (check_search_optimizer, loss_scale,
                                       warn_unless_sgd)
from .policy_optimizers import PolicyOptimizers
from .search_settings import (build_policy_dataloader, build_space,
                              positive_int, require_policy_dataloader,
                              warn_without_policy_hook)


class StepSignal(NamedTuple):
    """What one search step measured of its branches, for diagnostics.

    Attributes:
        policies (Tensor): (L-hat, N_o) the candidates of each policy.
        grad_norms (Tensor): (L-hat + 1,) ``|g_0| .. |g_L|``.
        d (Tensor | None): (L-hat,) the estimator's ``d_l``; None when the
            network step was skipped.
        updated (bool): whether the policy step was taken.
    """
    policies: torch.Tensor
    grad_norms: torch.Tensor
    d: Optional[torch.Tensor]
    updated: bool


@LOOPS.register_module()
class DDASSearchLoop(EpochBasedTrainLoop):
    """Epoch-based training loop whose every iteration is a DDAS step.

    Hooks are called at the same moments as in ``EpochBasedTrainLoop``;
    ``after_train_iter`` gets the step's log variables as ``outputs``:
    ``loss`` (the expected train loss of Eq. 12), the clean batch's loss
    terms, ``loss_clean`` and ``loss_aug{l}`` (total loss of the clean batch
    and of augmented copy l), ``loss_val``, ``p_tp``, ``entropy_p_o`` (nats)
    and ``policy_skip_rate`` (1 where the policy step was skipped; a warning
    gives the running count). Add ``DDASPolicyHook`` to record the policy
    per epoch and log the most likely ops. After every step
    ``last_signal`` holds its :class:`StepSignal`.

    The budget of a search is its number of policy steps, one per
    iteration: ``max_epochs`` times the batches of an epoch. A search of
    fewer than the paper's CIFAR search (``defaults.POLICY_STEPS``) gets a
    warning with the number of epochs that reaches it; ``DDASPolicyHook``
    logs the steps taken after every epoch and writes them to the policy
    file (``meta.policy_steps``).

    Args:
        runner (Runner): the runner.
        dataloader (DataLoader | dict): batches of S_train.
        max_epochs (int): search epochs T_max.
        policy_dataloader (DataLoader | dict): batches of S_val (step 4).
            Cycled for ever; every pass calls ``sampler.set_epoch``.
        space (dict): ``SearchSpace`` arguments, e.g. ``dict(preset='cifar')``
            or ``dict(ops=[('Rotate', 4), ('Equalize', None)])``.
        num_policies (int): L-hat, augmented copies per step. Defaults to 3.
        num_ops (int): N_o, ops per policy. Defaults to 2.
        init_tp (float): initial p_tp in (0, 1). Defaults to 0.35.
        policy_optim (dict, optional): optimizer of alpha_o. Defaults to the
            authors' Adam(lr=5e-3, betas=(0.5, 0.999)).
        tp_optim (dict, optional): optimizer of alpha_tp. Defaults to
            Adam(lr=1e-3, betas=(0.5, 0.999)).
        estimator (str): how ``d_l`` is estimated, a key of
            :data:`ddas_mm.policy.estimator.ESTIMATORS`: ``'paper'``, Eq. 15;
            ``'equal-norm'``, Eq. 15 with each ``g_l`` rescaled to ``|g_0|``
            (directions only). Defaults to ``'paper'``.
        (The defaults are those of :mod:`ddas_mm.policy.defaults`.)
        channel_order (str): order of the colour channels of the batches,
            'bgr' (what mmcv's image loading gives) or 'rgb' (e.g.
            mmpretrain's CIFAR datasets). Defaults to 'bgr'.
        seg_ignore_label (int): the label geometric ops give the pixels of
            a semantic map (``gt_sem_seg``) they uncover, as mmdet's
            ``seg_ignore_label``. Defaults to mmdet's 255.
        val_begin (int), val_interval (int), dynamic_intervals: validation
            for monitoring, as in ``EpochBasedTrainLoop``.
    """

    def __init__(self,
                 runner,
                 dataloader,
                 max_epochs: int,
                 policy_dataloader=None,
                 space: Optional[dict] = None,
                 num_policies: int = defaults.NUM_POLICIES,
                 num_ops: int = defaults.NUM_OPS,
                 init_tp: float = defaults.INIT_TP,
                 policy_optim: Optional[dict] = None,
                 tp_optim: Optional[dict] = None,
                 estimator: str = 'paper',
                 channel_order: str = 'bgr',
                 seg_ignore_label: int = SEG_IGNORE_LABEL,
                 val_begin: int = 1,
                 val_interval: int = 1,
                 dynamic_intervals=None):
        # Check the cheap arguments before building any dataset.
        self.num_policies = positive_int(
            num_policies, 'num_policies (L-hat)',
            'the paper samples 2 or 3 policies per step.')
        positive_int(num_ops, 'num_ops (N_o)',
                     f'the paper uses {defaults.NUM_OPS}.')
        self.channel_order = check_channel_order(channel_order)
        self.seg_ignore_label = seg_ignore_label
        self.space = build_space(space, num_ops)
        self.init_tp = init_tp
        self.estimator = estimator
        self.estimate_alignment = get_estimator(estimator)
        self.policy = DDASPolicy(self.space.K, num_ops, init_tp)
        self.policy_optimizers = PolicyOptimizers(
            self.policy, policy_optim or defaults.policy_optim(),
            tp_optim or defaults.tp_optim())
        require_policy_dataloader(policy_dataloader)
        super().__init__(runner, dataloader, max_epochs, val_begin,
                         val_interval, dynamic_intervals)
        warn_unless_sgd(runner.optim_wrapper)
        self.policy_dataloader = build_policy_dataloader(
            runner, policy_dataloader)
        self._val_batches: Optional[EndlessLoader] = None
        self._gradients: Optional[FlatGradients] = None
        self.last_signal: Optional[StepSignal] = None

    # ------------------------------------------------------------ state
    @property
    def num_skipped(self) -> int:
        """The policy steps skipped so far."""
        return self.policy_optimizers.num_skipped

    @property
    def policy_steps(self) -> int:
        """The policy steps taken so far (iterations less skipped steps)."""
        return self._iter - self.num_skipped

    def policy_state_dict(self) -> dict:
        """The search's own state for checkpoints (plain types and tensors).
        """
        return dict(
            policy=self.policy.state_dict(),
            **self.policy_optimizers.state_dict())

    def load_policy_state_dict(self, state: dict) -> None:
        """Restore :meth:`policy_state_dict` (resuming a search)."""
        self.policy.load_state_dict(state['policy'])
        self.policy_optimizers.load_state_dict(state)

    # -------------------------------------------------------------- run
    def run(self) -> torch.nn.Module:
        """Check the optimizer wrapper, position the S_val batches, train."""
        check_search_optimizer(self.runner.optim_wrapper)
        warn_without_policy_hook(self.runner.hooks)
        self._report_budget()
        # One S_val batch per iteration: a resumed search continues with the
        # batch the uninterrupted one would have drawn.
        self._val_batches = EndlessLoader(self.policy_dataloader, self._iter,
                                          self.runner.seed)
        return super().run()

    def run_epoch(self) -> None:
        """One search epoch, its S_train samples seeded by the epoch.

        Before the epoch's batches are requested, the ``ProxySplit`` of
        S_train is told the run's seed and the epoch: each sample's random
        transforms (crops, flips) then draw what they drew in this epoch of
        any run with the seed, resumed or not, whatever worker loads it.
        """
        set_sample_seeds(self.dataloader.dataset, self.runner.seed,
                         self._epoch)
        super().run_epoch()

    def _report_budget(self) -> None:
        """Log the search's policy steps; warn when they are fewer than the
        paper's."""
        per_epoch = len(self.dataloader)
        message = (f'DDAS: {self._max_epochs} epochs of {per_epoch} '
                   f'batches, {self._max_iters} policy steps '
                   f'(estimator {self.estimator!r}).')
        level = logging.INFO
        if self._max_iters < defaults.POLICY_STEPS:
            level = logging.WARNING
            message += (
                f" The paper's CIFAR search makes {defaults.POLICY_STEPS}; "
                f'with fewer the policy barely leaves its start. Set '
                f'train_cfg.max_epochs to at least '
                f'{math.ceil(defaults.POLICY_STEPS / per_epoch)}.')
        print_log(message, logger='current', level=level)

    def run_iter(self, idx, data_batch: dict) -> None:
        """One search step between the usual iteration hooks.

        Args:
            idx (int): index of the batch in the epoch.
            data_batch (dict): a batch of S_train from the dataloader.
        """
        self.runner.call_hook(
            'before_train_iter', batch_idx=idx, data_batch=data_batch)
        outputs = self.search_step(data_batch)
        self.runner.call_hook(
            'after_train_iter',
            batch_idx=idx,
            data_batch=data_batch,
            outputs=outputs)
        self._iter += 1

    # ------------------------------------------------------------- step
    @property
    def gradients(self) -> FlatGradients:
        """Rows 0..L-hat: g_0 .. g_L; the last row: g_val. Built on first
        use, over the parameters the network optimizer updates."""
        if self._gradients is None:
            self._gradients = FlatGradients.of_optimizer(
                self.runner.optim_wrapper, self.num_policies + 2)
        return self._gradients

    def search_step(self, data_batch: dict) -> Dict[str, torch.Tensor]:
        """Steps 1-6 of the module docstring on one S_train batch.

        Args:
            data_batch (dict): a collated batch (``inputs``,
                ``data_samples``) straight from the dataloader.

        Returns:
            dict: log variables (see the class docstring).
        """
        model = self.runner.model
        model = model.module if is_model_wrapper(model) else model
        seed, train_rows = self.runner.seed, slice(0, self.num_policies + 1)
        # 1. L-hat policies, drawn uniformly, and their weights in Eq. 12.
        policies = self.policy.sample(self.num_policies,
                                      policy_generator(seed, self._iter))
        with torch.no_grad():
            weights = branch_weights(self.policy.p_tp,
                                     self.policy.log_prob(policies))
        # 2. g_0 .. g_L at theta_t.
        log_vars, branch_losses = self._branch_gradients(
            model, data_batch, policies,
            op_generator(seed, self._iter, get_rank()))
        train_grads = self.gradients.gradients(train_rows)
        # 3. theta_{t+1} with the combined gradient of Eq. 12.
        stepped = self._network_step(
            combine_gradients(train_grads, weights),
            self.gradients.used(train_rows))
        # 4. g_val at theta_{t+1}; one S_val batch per iteration, used or
        # not, so that a resumed search draws the batches of the original.
        val_batch = next(self._val_batches)
        g_val = self._val_gradient(model, val_batch,
                                   log_vars) if stepped else None
        # 5. d_l = g_val . (g_0 - g_l), or the chosen estimator's, and Z_g
        # (Eq. 15).
        d = None if g_val is None else self.estimate_alignment(
            train_grads, g_val).cpu()
        z_g = None if d is None else gradient_normaliser(d)
        # 6. Adam steps on alpha_o and alpha_tp (Eq. 16-17); averaged over
        # the logging window, the skip rate is the fraction of skipped steps.
        updated = self.policy_optimizers.step(d, z_g, weights, policies,
                                              self._iter + 1)
        self.last_signal = StepSignal(policies,
                                      train_grads.norm(dim=1).cpu(), d,
                                      updated)
        log_vars['policy_skip_rate'] = 0.0 if updated else 1.0
        log_vars['loss'] = weights.to(
            branch_losses[0]) @ torch.stack(branch_losses)
        log_vars['p_tp'] = self.policy.p_tp.detach()
        log_vars['entropy_p_o'] = self.policy.entropy()
        return log_vars

    def _branch_gradients(self, model, data_batch: dict,
                          policies: torch.Tensor,
                          generator: torch.Generator) -> tuple:
        """Step 2: g_0 .. g_L at theta_t into the gradient rows 0..L-hat,
        averaged over the ranks together with which parameters got one.

        Returns:
            tuple: the log variables of the branches and their total losses.
        """
        optim_wrapper = self.runner.optim_wrapper
        data, targets = batch_on_device(data_batch, model.data_preprocessor,
                                        self.seg_ignore_label)
        # Made one after the other: between backward passes the ops' own
        # code runs from cold caches.
        branches = branch_batches(self.space, policies.tolist(), data,
                                  targets, generator, self.channel_order)
        log_vars, branch_losses = {}, []
        for branch, branch_data in enumerate(branches):
            loss, branch_vars = self.forward_backward(model, optim_wrapper,
                                                      branch_data)
            self.gradients.capture(branch)
            branch_losses.append(loss.detach())
            if branch == 0:  # the clean batch's loss terms, as in training
                log_vars.update(
                    (k, v) for k, v in branch_vars.items() if k != 'loss')
                log_vars['loss_clean'] = loss.detach()
            else:
                log_vars[f'loss_aug{branch}'] = loss.detach()
        self.gradients.all_reduce(slice(0, self.num_policies + 1))
        return log_vars, branch_losses

    def _network_step(self, combined: torch.Tensor, used: List[bool]) -> bool:
        """Step 3: theta_{t+1} with the combined gradient of Eq. 12.

        Returns:
            bool: whether the gradient was finite (else the plain optimizer
            skipped the update).
        """
        optim_wrapper = self.runner.optim_wrapper
        # A finite sum proves every value finite; only a non-finite one (or
        # an overflow of finite values) needs the slower element-wise check.
        stepped = math.isfinite(combined.sum().item()) or bool(
            torch.isfinite(combined).all())
        self.gradients.assign(combined, used)
        # An AMP loss scaler must see non-finite gradients to lower its scale
        # (it then skips the update itself); a plain optimizer must not.
        if stepped or hasattr(optim_wrapper, 'loss_scaler'):
            optim_wrapper.step()
        self.gradients.clear()
        return stepped

    def _val_gradient(self, model, val_batch: dict,
                      log_vars: dict) -> torch.Tensor:
        """Step 4: g_val at theta_{t+1}, averaged over the ranks; its loss
        goes into ``log_vars``."""
        optim_wrapper = self.runner.optim_wrapper
        with without_batch_augments(model.data_preprocessor):
            loss_val, _ = self.forward_backward(model, optim_wrapper,
                                                val_batch)
        val_row = self.num_policies + 1
        self.gradients.capture(val_row)
        self.gradients.clear()
        self.gradients.all_reduce(slice(val_row, val_row + 1))
        log_vars['loss_val'] = loss_val.detach()
        # With AmpOptimWrapper every gradient carries the loss scale of its
        # backward pass. The scales multiply d_l and Z_g alike and cancel in
        # d_l / Z_g; g_val's is divided out anyway, so that the dot products
        # stay far from float32's range.
        g_val = self.gradients.gradients(val_row)
        scale = loss_scale(optim_wrapper)
        return g_val if scale == 1 else g_val.div_(scale)

    def forward_backward(self, model, optim_wrapper, data: dict):
        """Forward and backward of one batch, as ``BaseModel.train_step``
        does them, without the update; the gradients replace any earlier.

        Args:
            model (BaseModel): the unwrapped model.
            optim_wrapper (OptimWrapper): the network's optimizer wrapper
                (its context and its backward: AMP autocast and loss scale).
            data (dict): a batch as the dataloader gives it.

        Returns:
            tuple: the total loss and the parsed log variables.
        """
        with optim_wrapper.optim_context(model):
            data = model.data_preprocessor(data, True)
            losses = model(**data, mode='loss')
        loss, log_vars = model.parse_losses(losses)
        self.gradients.clear()
        optim_wrapper.backward(loss)
        return loss, log_vars
