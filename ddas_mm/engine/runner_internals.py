"""The places where ddas_mm reads mmengine 0.10's private attributes: each
one where mmengine has no public way, and says why."""
from typing import Optional

from mmengine.runner import BaseLoop


def built_loop(runner, which: str) -> Optional[BaseLoop]:
    """The runner's train, val or test loop if it is built, else None.

    ``runner.train_loop`` (``val_loop``, ``test_loop``) builds the loop from
    its config on first use, dataloader and dataset included. A hook that only
    asks what kind of loop a run has, or reaches data that exists already,
    must not build one (a test run would load the training data to find
    out); mmengine keeps the loop, or its config, in ``runner._<which>_loop``.

    Args:
        runner (Runner): the runner.
        which (str): 'train', 'val' or 'test'.

    Returns:
        BaseLoop | None: the loop, or None while it is a config or absent.
    """
    loop = getattr(runner, f'_{which}_loop')
    return loop if isinstance(loop, BaseLoop) else None


def is_resuming(runner) -> bool:
    """Whether the run resumes (``resume=True``) rather than loading weights
    only (``load_from``): mmengine keeps it in ``runner._resume`` alone."""
    return bool(runner._resume)


def diff_rank_seed(runner) -> bool:
    """The config's ``randomness.diff_rank_seed`` as the runner applies it
    (False unless set): mmengine keeps the applied randomness settings in
    ``runner._randomness_cfg`` only."""
    return bool(runner._randomness_cfg.get('diff_rank_seed', False))


def accumulative_counts(optim_wrapper) -> int:
    """Over how many steps an ``OptimWrapper`` accumulates gradients: it has
    no public accessor for its ``accumulative_counts`` argument."""
    return optim_wrapper._accumulative_counts


def restart_dataloader_workers(train_loop) -> None:
    """Stop an ``IterBasedTrainLoop``'s dataloader workers and start its
    iteration again.

    The loop starts its workers when it is built, before any hook runs, so
    they prepare batches with what the dataset was then. mmengine has no
    public way to restart them: shut the workers down through torch's
    ``DataLoader._iterator`` (set for persistent workers), give mmengine's
    ``InfiniteSampler`` a fresh index stream (``_indices_of_rank``; the
    stopped iteration has closed the one it had), and rebuild the loop's
    iterator.

    Args:
        train_loop (IterBasedTrainLoop): the built loop.
    """
    dataloader = train_loop.dataloader
    if getattr(dataloader, '_iterator', None) is not None:
        dataloader._iterator._shutdown_workers()
        dataloader._iterator = None
    sampler = dataloader.sampler
    if hasattr(sampler, '_indices_of_rank'):
        sampler.indices = sampler._indices_of_rank()
    train_loop.dataloader_iterator = type(
        train_loop.dataloader_iterator)(dataloader)
