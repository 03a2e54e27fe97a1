"""The DDAS estimator (paper §3.2-3.4) as small pure functions.

A search step has a clean batch ``D_0`` and ``L-hat`` augmented copies
``D_1 .. D_L`` (one policy ``phi_l`` each), their train-loss gradients
``g_0 .. g_L`` at ``theta_t``, and the validation gradient ``g_val`` at
``theta_{t+1}``. The names below follow the paper's equations; flattened
gradients are rows of one (L-hat + 1, P) matrix, row 0 being ``g_0``.
"""
import torch


def branch_weights(p_tp: torch.Tensor,
                   log_prob_policies: torch.Tensor) -> torch.Tensor:
    """Weights of the clean and augmented batches in Eq. 12.

    ``w_l = p_tp * P(phi_l) / Z`` for ``l >= 1`` with ``Z = sum_l P(phi_l)``
    over the sampled policies, and ``w_0 = 1 - sum_l w_l = 1 - p_tp``. Their
    derivatives w.r.t. the alphas (with ``Z`` held constant, as in Eq. 9-10)
    are :func:`policy_gradients`'.

    Args:
        p_tp (Tensor): scalar total augmentation probability.
        log_prob_policies (Tensor): (L-hat,) ``log P(phi_l)`` (Eq. 3).

    Returns:
        Tensor: (L-hat + 1,) ``[w_0, w_1, ..., w_L]``.
    """
    # P(phi_l) / Z is the softmax of log P(phi_l): computed in log space,
    # where P(phi) would underflow long before the ratio does.
    augmented = p_tp * torch.softmax(log_prob_policies, dim=0)
    return torch.cat([(1 - augmented.sum()).reshape(1), augmented])


def combine_gradients(grads: torch.Tensor,
                      weights: torch.Tensor) -> torch.Tensor:
    """The network's gradient of the expected train loss (Eq. 5 / Eq. 12).

    Args:
        grads (Tensor): (L-hat + 1, P) flattened ``g_0 .. g_L``.
        weights (Tensor): (L-hat + 1,) from :func:`branch_weights`.

    Returns:
        Tensor: (P,) ``sum_l w_l * g_l`` (``w_0`` weighting ``g_0``).
    """
    return weights.detach().to(grads) @ grads


def alignment(grads: torch.Tensor, g_val: torch.Tensor) -> torch.Tensor:
    """``d_l = g_val . (g_0 - g_l)`` for l = 1..L-hat (Eq. 9 / Eq. 15).

    ``eta * d_l`` is the derivative of ``L_val(theta_{t+1})`` w.r.t. the
    weight ``w_l`` of batch ``D_l`` (Eq. 9); ``eta`` is dropped because the
    policy optimizer (Adam) is invariant to a constant gradient scale.

    Args:
        grads (Tensor): (L-hat + 1, P) flattened ``g_0 .. g_L`` at theta_t.
        g_val (Tensor): (P,) flattened validation gradient at theta_{t+1}.

    Returns:
        Tensor: (L-hat,) ``d_1 .. d_L``.
    """
    products = grads @ g_val
    return products[0] - products[1:]


def equal_norm_alignment(grads: torch.Tensor,
                         g_val: torch.Tensor) -> torch.Tensor:
    """``d_l = g_val . (g_0 - |g_0| / |g_l| * g_l)``: Eq. 15 with every
    augmented copy's gradient brought to the clean batch's norm.

    In the one-step look-ahead of Eq. 9 a copy whose gradient is merely
    longer along the descent direction (a harder, higher-loss copy) lowers
    ``L_val(theta_{t+1})`` more, so :func:`alignment` rewards loss rather than
    direction. With ``g_l`` rescaled to ``|g_0|`` only the directions are
    compared; ``eta * d_l`` is then the derivative of ``L_val`` w.r.t. the
    weight ``w_l`` of the look-ahead
    ``theta_t - eta * (w_0 * g_0 + sum_l w_l * |g_0| / |g_l| * g_l)``, the
    norm ratios held constant. A zero ``g_l`` gives a non-finite ``d_l``,
    and the policy step is skipped. Arguments and result as in
    :func:`alignment`.
    """
    products = grads @ g_val
    norms = grads.norm(dim=1)
    return products[0] - products[1:] * (norms[0] / norms[1:])


# The estimators of d_l a search can use (``DDASSearchLoop(estimator=...)``).
ESTIMATORS = {'paper': alignment, 'equal-norm': equal_norm_alignment}


def get_estimator(name: str):
    """The function of :data:`ESTIMATORS` called ``name``.

    Raises:
        ValueError: an unknown name; the message lists the known ones.
    """
    if name not in ESTIMATORS:
        raise ValueError(
            f'DDASSearchLoop: estimator must be one of {sorted(ESTIMATORS)}, '
            f"got {name!r}; 'paper' is Eq. 15 as published, 'equal-norm' "
            f'compares the directions of the gradients only.')
    return ESTIMATORS[name]


def gradient_normaliser(d: torch.Tensor) -> torch.Tensor:
    """``Z_g = sum_l |d_l|`` (Eq. 15), the per-step scale of the gradients.

    Args:
        d (Tensor): (L-hat,) from :func:`alignment`.

    Returns:
        Tensor: scalar ``Z_g``.
    """
    return d.abs().sum()


def policy_gradients(d: torch.Tensor, z_g, augmented_weights: torch.Tensor,
                     policies: torch.Tensor, p_o: torch.Tensor,
                     p_tp: torch.Tensor) -> tuple:
    """The policy gradients of Eq. 16-17 (without ``eta``), carried on
    through the softmax and the sigmoid to ``alpha_o`` and ``alpha_tp``.

    Eq. 16-17 weigh each ``d_l / Z_g`` by the derivative of
    ``w_l = p_tp * P(phi_l) / Z`` (``Z`` held constant). With
    ``P(phi_l) = prod_i p_o[o_l^i]``, ``p_o = softmax(alpha_o)`` and
    ``p_tp = sigmoid(alpha_tp)``, those derivatives are::

        dw_l / d alpha_o[k] = w_l * (c_lk - N_o * p_o[k])
        dw_l / d alpha_tp   = w_l * (1 - p_tp)

    where ``c_lk`` counts the ops of ``phi_l`` that are candidate k.

    Args:
        d (Tensor): (L-hat,) from :func:`alignment`.
        z_g (Tensor | float): ``Z_g`` from :func:`gradient_normaliser`, or
            1 for the unnormalised gradient of Eq. 13-14.
        augmented_weights (Tensor): (L-hat,) ``w_1 .. w_L`` from
            :func:`branch_weights` (its entries 1..L-hat).
        policies (Tensor): (L-hat, N_o) candidate indices of the policies.
        p_o (Tensor): (K,) op probabilities.
        p_tp (Tensor): scalar total augmentation probability.

    Returns:
        tuple: the gradients w.r.t. ``alpha_o`` (K,) and ``alpha_tp``
        (scalar), constants.
    """
    weights = augmented_weights.detach()
    weighted = d.detach().to(weights) * weights / z_g  # d_l * w_l / Z_g
    total = weighted.sum()
    counts = torch.nn.functional.one_hot(policies, len(p_o)).sum(1).to(
        weights)  # c_lk
    num_ops = policies.shape[1]
    grad_alpha_o = weighted @ counts - num_ops * total * p_o.detach()
    grad_alpha_tp = total * (1 - p_tp.detach())
    return grad_alpha_o, grad_alpha_tp
