from .checkpoint_safety import (WeightsOnlyCheckpointHook,  # noqa: F401
                                add_checkpoint_safety_hook)
from .policy_hook import DDASPolicyHook  # noqa: F401
from .replay_hook import DDASReplayHook  # noqa: F401
from .search_loop import DDASSearchLoop  # noqa: F401
from .search_record_hook import DDASSearchRecordHook  # noqa: F401
from .signal_hook import DDASSignalHook  # noqa: F401
