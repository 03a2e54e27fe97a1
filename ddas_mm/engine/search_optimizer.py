"""What the DDAS search needs of the network's optimizer wrapper."""
from mmengine.optim import OptimWrapper


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
    if optim_wrapper._accumulative_counts != 1:
        raise ValueError(
            f'DDASSearchLoop needs accumulative_counts=1 (got '
            f'{optim_wrapper._accumulative_counts}): every step updates '
            f'the network and then takes the validation gradient at the '
            f'updated weights. Use a larger batch size instead.')

