"""The user's training length, and its schedulers stretched to the
search's length."""
import math

from ddas_mm.config_text import type_name
from .source import ConfigSource

# Scheduler fields counted in epochs where the scheduler is by epoch.
EPOCH_FIELDS = ('begin', 'end', 'T_max', 'step_size')
# Schedulers whose gamma is a factor per epoch (per step_size epochs).
PER_EPOCH_GAMMA = ('StepLR', 'StepParamScheduler', 'StepMomentum',
                   'ExponentialLR', 'ExponentialParamScheduler',
                   'ExponentialMomentum')


def base_epochs(source: ConfigSource) -> int:
    """The config's number of training epochs.

    Raises:
        ConfigError: it does not train by epochs (the search records the
            policy after each).
    """
    train_cfg = source.cfg.get('train_cfg', {})
    kind = train_cfg.get('type', 'EpochBasedTrainLoop')
    if (kind != 'EpochBasedTrainLoop' or not train_cfg.get('by_epoch', True)
            or 'max_epochs' not in train_cfg):
        raise source.error(
            f'training is not by epochs (train_cfg {dict(train_cfg)}): the '
            'search runs epochs and records the policy after each.',
            r'train_cfg\s*=',
            "train by epochs: train_cfg=dict(type='EpochBasedTrainLoop', "
            'max_epochs=...).')
    return train_cfg['max_epochs']


def _epochs(value: float, factor: float) -> int:
    """An epoch count stretched, rounded up (a scheduler that ends within
    the first epoch still has one); mmengine's endless end stays."""
    return value if value >= 1e8 else math.ceil(value * factor - 1e-9)


def stretched_scheduler(scheduler: dict, epochs: int,
                        factor: float) -> dict:
    """One scheduler, its epoch counts scaled by ``factor``.

    ``begin`` / ``end`` / ``T_max`` / ``step_size`` and ``milestones`` are
    scaled and rounded up, so that schedulers that met still meet; a
    scheduler keeps at least one epoch (mmengine refuses ``begin ==
    end``), and one without an ``end`` ends with the search or one epoch
    after its stretched ``begin``. Where ``step_size`` cannot shrink below
    one epoch, ``gamma`` is raised to the power that keeps the decay over
    the run (StepLR with ``step_size=1`` over 300 epochs, searched for
    20). Schedulers counted in iterations (warm-ups with
    ``by_epoch=False``) are kept.

    Args:
        scheduler (dict): a ``param_scheduler`` entry.
        epochs (int): the search's epochs.
        factor (float): search epochs / training epochs.

    Returns:
        dict: the stretched entry.
    """
    scheduler = dict(scheduler)
    if not scheduler.get('by_epoch', True):
        return scheduler
    step = scheduler.get('step_size', 1)
    for field in EPOCH_FIELDS:
        if field in scheduler:
            scheduler[field] = max(
                _epochs(scheduler[field], factor), int(field == 'step_size'))
    scheduler['end'] = max(scheduler.get('end', epochs),
                           scheduler.get('begin', 0) + 1)
    if 'milestones' in scheduler:
        scheduler['milestones'] = [
            _epochs(m, factor) for m in scheduler['milestones']
        ]
    if type_name(scheduler) in PER_EPOCH_GAMMA:
        # gamma per step of step_size epochs: the same decay over the run.
        scheduler['gamma'] = scheduler.get('gamma', 0.1)**(
            scheduler.get('step_size', 1) / (step * factor))
    return scheduler


def stretched_schedulers(schedulers, epochs: int, base: int) -> list:
    """The config's parameter schedulers, their epoch counts scaled from
    its ``base`` epochs to the search's ``epochs`` (see
    :func:`stretched_scheduler`)."""
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
    return [stretched_scheduler(dict(s), epochs, epochs / base)
            for s in schedulers or []]
