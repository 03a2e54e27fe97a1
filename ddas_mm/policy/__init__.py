"""DDAS policies: parameters, estimators and the per-epoch schedule."""
from .params import DDASPolicy  # noqa: F401
from .schedule import POLICY_FORMAT, PolicySchedule  # noqa: F401
