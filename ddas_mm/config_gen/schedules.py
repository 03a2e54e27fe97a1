"""The user's training length, and its schedulers stretched to the
search's length."""
from .source import ConfigSource

# Scheduler fields counted in epochs, stretched to the search's length.
EPOCH_FIELDS = ('begin', 'end', 'T_max')


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


def stretched_schedulers(schedulers, factor: float) -> list:
    """The config's parameter schedulers, their epoch counts scaled to the
    search's length (iteration-counted ones, e.g. warm-ups, kept)."""
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
    stretched = []
    for scheduler in schedulers or []:
        scheduler = scheduler.to_dict()
        if scheduler.get('by_epoch', True):
            for field in EPOCH_FIELDS:
                if field in scheduler:
                    scheduler[field] = round(scheduler[field] * factor)
            if 'milestones' in scheduler:
                scheduler['milestones'] = [
                    round(m * factor) for m in scheduler['milestones']
                ]
        stretched.append(scheduler)
    return stretched
