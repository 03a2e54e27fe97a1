"""DDAS policies: parameters, estimators and the per-epoch schedule."""
from . import defaults  # noqa: F401
from .params import DDASPolicy  # noqa: F401
from .schedule import (POLICY_FORMAT, REPLAY_MODES,  # noqa: F401
                       PolicySchedule)
