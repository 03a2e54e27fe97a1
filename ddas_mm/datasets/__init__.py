"""Datasets and transforms of ddas_mm."""
from .dynamic_augment import DynamicDDASAugment  # noqa: F401
from .grey_as_colour import GreyAsColour  # noqa: F401
from .progress import (ReplayProgress, disable_replay,  # noqa: F401
                       find_replay_progress, set_replay_progress)
from .proxy_split import ProxySplit  # noqa: F401
