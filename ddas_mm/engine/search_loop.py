"""DDASSearchLoop: the DDAS search as an mmengine training loop.

One iteration is one search step of paper §3 (Algorithm 1, lines 5-13):

1. draw L-hat policies uniformly, the same on every rank (§3.5.1);
2. gradients g_0 .. g_L of the train loss on the clean batch D_0 and on each
   augmented copy D_l (one policy per copy, applied to the whole batch on the
   model's device, before normalisation), all at theta_t, all-reduced across
   ranks in one collective;
3. the network's update with the combined gradient of Eq. 12, through
   ``runner.optim_wrapper`` (clip_grad, weight decay, AMP, schedulers);
4. g_val, the gradient of the loss of one S_val batch at theta_{t+1};
5. d_l = g_val . (g_0 - g_l) and Z_g = sum_l |d_l| (Eq. 15);
6. Adam steps on alpha_o and alpha_tp with the gradient of Eq. 16-17.
"""
import logging
from functools import partial
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.dist import all_reduce
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper
from mmengine.registry import LOOPS, OPTIMIZERS
from mmengine.runner import EpochBasedTrainLoop

from ddas_mm.ops import CHANNEL_ORDERS, SearchSpace, nondegenerate_boxes
from ddas_mm.policy import DDASPolicy
from ddas_mm.policy.estimator import (alignment, branch_weights,
                                      combine_gradients, gradient_normaliser,
                                      policy_surrogate)


def policy_generator(seed: int, iteration: int) -> torch.Generator:
    """Return the CPU generator of one search step.

    Seeded from the run's seed and the iteration, so every rank draws the same
    policies and a resumed search draws what the uninterrupted one drew.

    Args:
        seed (int): the runner's seed (the same on every rank).
        iteration (int): the global iteration.

    Returns:
        torch.Generator: a fresh generator.
    """
    sequence = np.random.SeedSequence([seed, iteration])
    state = int(sequence.generate_state(1, np.uint64)[0])
    return torch.Generator().manual_seed(state & (2**63 - 1))


def _set_sampler_epoch(dataloader, epoch: int) -> None:
    """Call ``set_epoch`` on the dataloader's sampler, as DistSamplerSeedHook.
    """
    sampler = getattr(dataloader, 'sampler', None)
    if not hasattr(sampler, 'set_epoch'):
        sampler = getattr(
            getattr(dataloader, 'batch_sampler', None), 'sampler', None)
    if hasattr(sampler, 'set_epoch'):
        sampler.set_epoch(epoch)


class EndlessLoader:
    """Cycle through a dataloader for ever, one pass after another.

    Pass ``n`` starts with ``sampler.set_epoch(n)`` so every pass has its own
    order (the same on every rank for a distributed sampler).

    Args:
        dataloader (DataLoader): a non-empty dataloader.
        consumed (int): batches drawn before, e.g. by the run being resumed;
            the loader continues where that run would have. Skipping loads the
            skipped batches, as mmengine's IterBasedTrainLoop does on resume.
    """

    def __init__(self, dataloader, consumed: int = 0):
        self.dataloader = dataloader
        self._pass = consumed // len(dataloader)
        self._start_pass()
        for _ in range(consumed % len(dataloader)):
            next(self._iterator)

    def _start_pass(self) -> None:
        _set_sampler_epoch(self.dataloader, self._pass)
        self._iterator = iter(self.dataloader)

    def __next__(self):
        try:
            return next(self._iterator)
        except StopIteration:
            self._pass += 1
            self._start_pass()
            return next(self._iterator)


def _box_tensor(boxes) -> torch.Tensor:
    """The (M, 4) tensor of mmdet box objects (``.tensor``) or of a tensor."""
    return boxes.tensor if hasattr(boxes, 'tensor') else boxes


def _with_boxes(sample, boxes: torch.Tensor):
    """A copy of a data sample whose ``gt_instances`` have the new boxes.

    Boxes under ``ddas_mm.ops.MIN_BOX_SIZE`` wide or high are dropped with
    every other field of their instance (labels, ignore flags); an image may
    end up with none, and still trains (as background).
    """
    instances = sample.gt_instances
    keep = nondegenerate_boxes(boxes)
    kept = instances[keep]
    old = instances.bboxes
    kept.bboxes = type(old)(boxes[keep]) if hasattr(old,
                                                    'tensor') else boxes[keep]
    new = sample.new()
    new.gt_instances = kept
    return new


# Per-pixel annotations the ops do not move: augmenting the image alone would
# train on labels that no longer match it.
UNMOVED_ANNOTATIONS = ('gt_sem_seg', 'gt_panoptic_seg')


def _has_boxes(sample) -> bool:
    present = [key for key in UNMOVED_ANNOTATIONS if key in sample]
    if present:
        raise ValueError(
            f'DDASSearchLoop moves boxes with the image but not {present}: '
            f'search with a box-only detector config (drop them from the '
            f'pipeline, e.g. LoadAnnotations(with_seg=False)).')
    instances = getattr(sample, 'gt_instances', None)
    if instances is None or 'bboxes' not in instances:
        return False
    if 'masks' in instances:
        raise ValueError(
            'DDASSearchLoop moves boxes with the image but not instance '
            'masks: search with a box-only detector config (drop the masks '
            'from the pipeline, e.g. LoadAnnotations(with_mask=False)).')
    return True


def augment_batch(space: SearchSpace, policy: Sequence[int], data: dict,
                  generator: torch.Generator, channel_order: str) -> dict:
    """Apply one policy to every image of a batch (Eq. 3: D_l from D_0).

    Args:
        space (SearchSpace): the candidate ops.
        policy (Sequence[int]): indices of the ops, applied in order.
        data (dict): a batch already on the model's device, ``inputs`` a
            stacked uint8 (N, C, H, W) tensor or a list of uint8 (C, H, W)
            tensors, ``data_samples`` (optional) with ``gt_instances.bboxes``
            that move with their image.
        generator (torch.Generator): draws the direction of symmetric ops.
        channel_order (str): 'bgr' or 'rgb', the order of ``inputs``.

    Returns:
        dict: a new batch; the input batch is left as it was.
    """
    inputs = data['inputs']
    samples = data.get('data_samples')
    with_boxes = samples is not None and any([_has_boxes(s) for s in samples])
    boxes = [_box_tensor(s.gt_instances.bboxes)
             for s in samples] if with_boxes else None
    apply = partial(
        space.apply, policy, generator=generator, channel_order=channel_order)
    if isinstance(inputs, torch.Tensor):
        images, boxes = apply(inputs, boxes=boxes)
    else:
        images, boxes = _apply_grouped(apply, inputs, boxes)
    out = dict(data, inputs=images)
    if with_boxes:
        out['data_samples'] = [
            _with_boxes(s, b) for s, b in zip(samples, boxes)
        ]
    return out


def _apply_grouped(apply: Callable, images: List[torch.Tensor],
                   boxes: Optional[List[torch.Tensor]]):
    """Apply a policy to a list of images, one call per image size.

    Args:
        apply (Callable): ``apply(batch, boxes=...)`` of a policy.
        images (list[Tensor]): uint8 (C, H, W) images.
        boxes (list[Tensor], optional): (M, 4) boxes of each image.

    Returns:
        tuple: the new images and boxes, as lists in the input order.
    """
    groups: Dict[tuple, List[int]] = {}
    for i, image in enumerate(images):
        groups.setdefault(tuple(image.shape), []).append(i)
    out_images = list(images)
    out_boxes = None if boxes is None else list(boxes)
    for members in groups.values():
        batch = torch.stack([images[i] for i in members])
        group_boxes = None if boxes is None else [boxes[i] for i in members]
        batch, group_boxes = apply(batch, boxes=group_boxes)
        for j, i in enumerate(members):
            out_images[i] = batch[j]
            if boxes is not None:
                out_boxes[i] = group_boxes[j]
    return out_images, out_boxes


def _positive_int(value, name: str, hint: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f'DDASSearchLoop: {name} must be an integer >= 1, '
                         f'got {value!r}; {hint}')
    return value


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
    per epoch and log the most likely ops.

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
        policy_optim (dict): optimizer of alpha_o. Defaults to the authors'
            Adam(lr=5e-3, betas=(0.5, 0.999)).
        tp_optim (dict): optimizer of alpha_tp. Defaults to
            Adam(lr=1e-3, betas=(0.5, 0.999)).
        channel_order (str): order of the colour channels of the batches,
            'bgr' (what mmcv's image loading gives) or 'rgb' (e.g.
            mmpretrain's CIFAR datasets). Defaults to 'bgr'.
        val_begin (int), val_interval (int), dynamic_intervals: validation
            for monitoring, as in ``EpochBasedTrainLoop``.
    """

    def __init__(self,
                 runner,
                 dataloader,
                 max_epochs: int,
                 policy_dataloader=None,
                 space: Optional[dict] = None,
                 num_policies: int = 3,
                 num_ops: int = 2,
                 init_tp: float = 0.35,
                 policy_optim: dict = dict(
                     type='Adam', lr=5e-3, betas=(0.5, 0.999)),
                 tp_optim: dict = dict(
                     type='Adam', lr=1e-3, betas=(0.5, 0.999)),
                 channel_order: str = 'bgr',
                 val_begin: int = 1,
                 val_interval: int = 1,
                 dynamic_intervals=None):
        # Check the cheap arguments before building any dataset.
        self.num_policies = _positive_int(
            num_policies, 'num_policies (L-hat)',
            'the paper samples 2 or 3 policies per step.')
        _positive_int(num_ops, 'num_ops (N_o)', 'the paper uses 2.')
        if channel_order not in CHANNEL_ORDERS:
            raise ValueError(f'DDASSearchLoop: channel_order must be one of '
                             f'{CHANNEL_ORDERS}, got {channel_order!r}.')
        self.channel_order = channel_order
        space = dict(space or {})
        if 'num_ops' in space:
            raise ValueError('DDASSearchLoop: give num_ops as an argument of '
                             'train_cfg, not inside space.')
        self.space = SearchSpace(num_ops=num_ops, **space)
        self.init_tp = init_tp
        self.policy = DDASPolicy(self.space.K, num_ops, init_tp)
        self.policy_optimizer = OPTIMIZERS.build(
            dict(policy_optim, params=[self.policy.alpha_o]))
        self.tp_optimizer = OPTIMIZERS.build(
            dict(tp_optim, params=[self.policy.alpha_tp]))
        if policy_dataloader is None:
            raise ValueError(
                'DDASSearchLoop needs train_cfg.policy_dataloader, the '
                'batches of S_val for the validation gradient, e.g. '
                "policy_dataloader=dict(batch_size=256, dataset=dict("
                "type='ProxySplit', split='val', ...), sampler=dict("
                "type='DefaultSampler', shuffle=True)).")
        super().__init__(runner, dataloader, max_epochs, val_begin,
                         val_interval, dynamic_intervals)
        diff_rank_seed = runner._randomness_cfg.get('diff_rank_seed', False)
        self.policy_dataloader = runner.build_dataloader(
            policy_dataloader, seed=runner.seed, diff_rank_seed=diff_rank_seed)
        if len(self.policy_dataloader) == 0:
            raise ValueError(
                f'DDASSearchLoop: the policy dataloader is empty (dataset of '
                f'{len(self.policy_dataloader.dataset)} images, batch size '
                f'{self.policy_dataloader.batch_size}): give S_val images, '
                f'or a batch size it can fill when drop_last=True.')
        self.num_skipped = 0
        self._val_batches: Optional[EndlessLoader] = None
        self._params: Optional[List[torch.nn.Parameter]] = None
        self._numel = 0  # P, the number of values in self._params

    # ------------------------------------------------------------ state
    def policy_state_dict(self) -> dict:
        """The search's own state for checkpoints (plain types and tensors).
        """
        return dict(
            policy=self.policy.state_dict(),
            policy_optim=self.policy_optimizer.state_dict(),
            tp_optim=self.tp_optimizer.state_dict(),
            num_skipped=self.num_skipped)

    def load_policy_state_dict(self, state: dict) -> None:
        """Restore :meth:`policy_state_dict` (resuming a search)."""
        self.policy.load_state_dict(state['policy'])
        self.policy_optimizer.load_state_dict(state['policy_optim'])
        self.tp_optimizer.load_state_dict(state['tp_optim'])
        self.num_skipped = int(state['num_skipped'])

    # -------------------------------------------------------------- run
    def run(self) -> torch.nn.Module:
        """Check the optimizer wrapper, position the S_val batches, train."""
        optim_wrapper = self.runner.optim_wrapper
        if not isinstance(optim_wrapper, OptimWrapper):
            raise TypeError(
                f'DDASSearchLoop updates the network with one optimizer '
                f'wrapper; got {type(optim_wrapper).__name__}. Configure a '
                f'single optim_wrapper.')
        if optim_wrapper._accumulative_counts != 1:
            raise ValueError(
                f'DDASSearchLoop needs accumulative_counts=1 (got '
                f'{optim_wrapper._accumulative_counts}): every step updates '
                f'the network and then takes the validation gradient at the '
                f'updated weights. Use a larger batch size instead.')
        # By name: the hook's module imports this one.
        if not any(
                type(hook).__name__ == 'DDASPolicyHook'
                for hook in self.runner.hooks):
            print_log(
                "DDASSearchLoop: no DDASPolicyHook, so the searched policy "
                "is not written anywhere; add custom_hooks = "
                "[dict(type='DDASPolicyHook')] to the config.",
                logger='current',
                level=logging.WARNING)
        # One S_val batch per iteration: a resumed search continues with the
        # batch the uninterrupted one would have drawn.
        self._val_batches = EndlessLoader(self.policy_dataloader, self._iter)
        return super().run()

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
        optim_wrapper = self.runner.optim_wrapper
        val_batch = next(self._val_batches)
        generator = policy_generator(self.runner.seed, self._iter)
        policies = self.policy.sample(self.num_policies, generator)

        # Step 2: the L-hat + 1 branch gradients at theta_t.
        data = _ops_data_on_device(data_batch,
                                   model.data_preprocessor.cast_data)
        grads = self._grad_buffer(self.num_policies + 2)
        log_vars, branch_losses = {}, []
        for branch in range(self.num_policies + 1):
            branch_data = data if branch == 0 else augment_batch(
                self.space, policies[branch - 1].tolist(), data, generator,
                self.channel_order)
            loss, branch_vars = self.forward_backward(model, optim_wrapper,
                                                      branch_data)
            self._flatten_grads(grads[branch])
            branch_losses.append(loss.detach())
            if branch == 0:  # the clean batch's loss terms, as in training
                log_vars.update(
                    (k, v) for k, v in branch_vars.items() if k != 'loss')
                log_vars['loss_clean'] = loss.detach()
            else:
                log_vars[f'loss_aug{branch}'] = loss.detach()
        # One collective for the gradients and for which parameters got
        # one, so that every rank updates the same parameters.
        all_reduce(grads[:-1], op='mean')
        train_grads = grads[:-1, :self._numel]
        used = (grads[:-1, self._numel:] > 0).any(dim=0).tolist()

        # Step 3: theta_{t+1} with the combined gradient of Eq. 12.
        weights = branch_weights(self.policy.p_tp,
                                 self.policy.log_prob(policies))
        combined = combine_gradients(train_grads, weights)
        stepped = bool(torch.isfinite(combined).all())
        self._set_grads(combined, used)
        # An AMP loss scaler must see non-finite gradients to lower its scale
        # (it then skips the update itself); a plain optimizer must not.
        if stepped or hasattr(optim_wrapper, 'loss_scaler'):
            optim_wrapper.step()
        self._clear_grads()

        # Steps 4-6: g_val at theta_{t+1}, Eq. 15-17, the policy update.
        policy_vars = self._policy_step(model, optim_wrapper, val_batch,
                                        train_grads, grads[-1], weights,
                                        stepped)
        log_vars.update(policy_vars)
        log_vars['loss'] = weights.detach().to(
            branch_losses[0]) @ torch.stack(branch_losses)
        log_vars['p_tp'] = self.policy.p_tp.detach()
        log_vars['entropy_p_o'] = self.policy.entropy()
        return log_vars

    def _policy_step(self, model, optim_wrapper, val_batch: dict,
                     train_grads: torch.Tensor, val_row: torch.Tensor,
                     weights: torch.Tensor, stepped: bool) -> dict:
        """Steps 4-6; the policy step is skipped (and counted) when the
        network step was skipped, ``Z_g == 0`` or anything is not finite.
        ``val_row`` is the buffer row that receives g_val."""
        log_vars = {}
        if stepped:
            loss_val, _ = self.forward_backward(model, optim_wrapper,
                                                val_batch)
            self._flatten_grads(val_row)
            self._clear_grads()
            all_reduce(val_row, op='mean')
            g_val = val_row[:self._numel]
            log_vars['loss_val'] = loss_val.detach()
            # With AmpOptimWrapper every gradient carries the loss scale of
            # its backward pass. The scales multiply d_l and Z_g alike and
            # cancel in d_l / Z_g; g_val's is divided out anyway, so that
            # the dot products stay far from float32's range.
            g_val.div_(_loss_scale(optim_wrapper))
            d = alignment(train_grads, g_val).cpu()
            z_g = gradient_normaliser(d)
            stepped = bool(torch.isfinite(d).all()) and z_g.item() > 0
        if not stepped:
            self.num_skipped += 1
            print_log(
                f'DDAS: policy step skipped at iteration {self._iter + 1} '
                f'(a non-finite loss or gradient, or Z_g = 0); '
                f'{self.num_skipped} skipped so far.',
                logger='current',
                level=logging.WARNING)
        else:
            self.policy_optimizer.zero_grad()
            self.tp_optimizer.zero_grad()
            policy_surrogate(d, weights[1:], z_g).backward()
            self.policy_optimizer.step()
            self.tp_optimizer.step()
        # Averaged over the logging window: the fraction of skipped steps.
        log_vars['policy_skip_rate'] = 0.0 if stepped else 1.0
        return log_vars

    # --------------------------------------------------------- gradients
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
        self._clear_grads()
        optim_wrapper.backward(loss)
        return loss, log_vars

    def _grad_buffer(self, rows: int) -> torch.Tensor:
        """A buffer for flattened gradients, allocated once.

        Row ``i`` holds the P gradient values, then one flag per parameter
        (1 where it received a gradient), so that one collective carries
        both.
        """
        if self._params is None:
            # The parameters the network optimizer updates: only they move
            # from theta_t to theta_{t+1}, so only they enter d_l.
            params = {}
            for group in self.runner.optim_wrapper.param_groups:
                params.update(
                    (id(p), p) for p in group['params'] if p.requires_grad)
            self._params = list(params.values())
            self._numel = sum(p.numel() for p in self._params)
            device = self._params[0].device
            self._grads = torch.zeros(
                rows,
                self._numel + len(self._params),
                dtype=torch.float32,
                device=device)
            self._zeros = torch.zeros(
                max(p.numel() for p in self._params), device=device)
        return self._grads

    def _clear_grads(self) -> None:
        for p in self._params:
            p.grad = None

    def _flatten_grads(self, out: torch.Tensor) -> None:
        """Copy the parameters' gradients into the row ``out`` of the buffer
        (zeros where none) and flag those that received one."""
        pieces = []
        for p in self._params:
            pieces.append(self._zeros[:p.numel()] if p.grad is None else
                          p.grad.reshape(-1).float())
        torch.cat(pieces, out=out[:self._numel])
        out[self._numel:] = torch.tensor(
            [p.grad is not None for p in self._params], dtype=out.dtype)

    def _set_grads(self, flat: torch.Tensor, used: List[bool]) -> None:
        """Make ``flat`` the parameters' gradients; parameters no branch used
        on any rank keep none, so the optimizer skips them as in ordinary
        training."""
        offset = 0
        for p, p_used in zip(self._params, used):
            view = flat[offset:offset + p.numel()].view_as(p)
            p.grad = view.to(p.dtype) if p_used else None
            offset += p.numel()


def _loss_scale(optim_wrapper) -> float:
    """The loss scale of an AMP optimizer wrapper's backward pass, else 1."""
    scaler = getattr(optim_wrapper, 'loss_scaler', None)
    return 1.0 if scaler is None else float(scaler.get_scale())


def _ops_data_on_device(data_batch, cast_data: Callable) -> dict:
    """Move what the ops read to the model's device: the images, and the
    data samples if they hold boxes (the model's data_preprocessor moves the
    rest, as in ordinary training)."""
    _check_images(data_batch)
    data = dict(data_batch, inputs=cast_data(data_batch['inputs']))
    samples = data_batch.get('data_samples')
    if samples is not None and any([_has_boxes(s) for s in samples]):
        data['data_samples'] = cast_data(samples)
    return data


def _check_images(data) -> None:
    """The ops need uint8 images: normalisation belongs to the model's
    data_preprocessor, after the augmentation."""
    if not isinstance(data, dict) or 'inputs' not in data:
        raise TypeError('DDASSearchLoop expects batches as dicts with '
                        '"inputs" (and "data_samples"), as mmpretrain and '
                        'mmdet pipelines pack them.')
    inputs = data['inputs']
    first = inputs if isinstance(inputs, torch.Tensor) else inputs[0]
    if first.dtype != torch.uint8:
        raise TypeError(
            f'DDASSearchLoop augments uint8 images, got {first.dtype}: keep '
            f'normalisation and float conversion in the model\'s '
            f'data_preprocessor, not in the train pipeline.')
