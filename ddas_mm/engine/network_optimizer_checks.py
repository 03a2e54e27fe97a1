"""What the DDAS search needs of the network's optimizer wrapper."""
import logging

from mmengine.logging import print_log
from mmengine.optim import OptimWrapper

from ddas_mm.config_text import type_name

from .runner_internals import accumulative_counts


def check_search_optimizer(optim_wrapper) -> None:
    """Refuse optimizer wrappers the one-step meta-gradient cannot use.

    Every search step updates the network once, with the combined gradient
    of Eq. 12, and then takes the validation gradient at the updated
    weights (Eq. 6 and 15).

    Args:
        optim_wrapper: the runner's built optimizer wrapper.

    Raises:
        TypeError: it is not a single ``OptimWrapper`` (e.g. a dict of them).
        ValueError: it accumulates gradients over several steps.
    """
    if not isinstance(optim_wrapper, OptimWrapper):
        raise TypeError(
            f'DDASSearchLoop updates the network with one optimizer '
            f'wrapper; got {type(optim_wrapper).__name__}. Configure a '
            f'single optim_wrapper.')
    if accumulative_counts(optim_wrapper) != 1:
        raise ValueError(
            f'DDASSearchLoop needs accumulative_counts=1 (got '
            f'{accumulative_counts(optim_wrapper)}): every step updates '
            f'the network and then takes the validation gradient at the '
            f'updated weights. Use a larger batch size instead.')


def loss_scale(optim_wrapper) -> float:
    """The loss scale of an AMP optimizer wrapper's backward pass, else 1."""
    scaler = getattr(optim_wrapper, 'loss_scaler', None)
    return 1.0 if scaler is None else float(scaler.get_scale())


def optimizer_type_name(optim_wrapper) -> str:
    """The network optimizer's type name, from a built optimizer wrapper or
    from its config (e.g. ``dict(optimizer=dict(type='SGD', ...))``)."""
    if isinstance(optim_wrapper, OptimWrapper):
        return type(optim_wrapper.optimizer).__name__
    return type_name(optim_wrapper.get('optimizer', {}))


def warn_unless_sgd(optim_wrapper) -> None:
    """Warn when the network optimizer is not SGD.

    The one-step meta-gradient (paper Eq. 6, then Eq. 15) takes
    ``theta_{t+1} = theta_t - eta * g`` with the combined gradient ``g`` of
    Eq. 12. SGD keeps the update linear in ``g`` (momentum, Nesterov and
    weight decay add terms that are the same for every branch), so
    ``d_l = g_val . (g_0 - g_l)`` still says which branch lowers the
    validation loss. Adam, AdamW and their kind rescale every coordinate by
    running moments: the network then moves in another direction than the
    one the policy gradient assumes, and the search follows another signal.

    Args:
        optim_wrapper: the runner's optimizer wrapper, built or a config.
    """
    name = optimizer_type_name(optim_wrapper)
    if name and name != 'SGD':
        print_log(
            f'DDASSearchLoop: the network optimizer is {name}, not SGD. The '
            f'policy gradient of the paper (Eq. 6, 15) assumes an SGD step '
            f'of the network, linear in the combined gradient; with {name} '
            f'the network moves in another direction and the searched '
            f'policy follows another signal. Search with optim_wrapper = '
            f"dict(optimizer=dict(type='SGD', lr=..., momentum=0.9, "
            f'weight_decay=...)); the retraining may keep {name}.',
            logger='current',
            level=logging.WARNING)
