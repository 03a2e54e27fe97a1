from .checkpoint_safety import (WeightsOnlyCheckpointHook,
                                add_checkpoint_safety_hook)
