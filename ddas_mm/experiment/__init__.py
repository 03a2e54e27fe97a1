"""Policy comparisons: search, retrain every arm for every seed, test."""
from .arms import ARMS, arm_transforms, check_arm  # noqa: F401
from .head_activity import (HeadActivity, checkpoint_head_activity,  # noqa
                            head_activity)
from .harness import (Experiment, Run, ToolLauncher,  # noqa: F401
                      check_finished_run, check_metric, load_experiment,
                      run_one, run_search)
from .report import (markdown_table, paired_table,  # noqa: F401
                     plot_results, summarize, write_csv)
