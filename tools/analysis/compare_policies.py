"""Does the searched policy pay off? Search, retrain every arm, compare.

    python tools/analysis/compare_policies.py EXPERIMENT.py \
        [--work-dir DIR] [--launcher none|pytorch] [--gpus N]

The experiment file names the search and retraining configs, the arms, the
seeds and the test metric (see ``ddas_mm.experiment.harness``). The search
runs first when its policy file is missing; then every arm is retrained and
tested for every seed, each through tools/train.py and tools/test.py
(tools/dist_train.sh and dist_test.sh with ``--launcher pytorch --gpus
N``). Results go to the work dir: ``results.csv`` (one row per run),
``results.md`` (mean ± std per arm, the difference to ``none`` paired by
seed with its 95 % interval, the search's cost) and ``results.png``. A
finished run is never repeated: started again, the tool runs only what is
missing.
"""
import argparse
import json
import os.path as osp
import sys

from ddas_mm.experiment import (Experiment, ToolLauncher, check_metric,
                                markdown_table, plot_results, run_one,
                                run_search, summarize, write_csv)
from ddas_mm.fileio import write_atomically


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('experiment', help='the experiment file')
    parser.add_argument(
        '--work-dir', help='where the runs and results go (default: '
        'work_dirs/<experiment name>)')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch'], default='none',
        help="'pytorch': every run on --gpus processes (torchrun)")
    parser.add_argument('--gpus', type=int, default=1,
                        help='processes per run with --launcher pytorch')
    args = parser.parse_args()
    if args.launcher == 'none' and args.gpus != 1:
        parser.error('--gpus needs --launcher pytorch')
    return args


def write_results(experiment: Experiment) -> str:
    """Write results.csv/.md/.png from the finished runs; return the table.
    """
    results = list(experiment.finished().values())
    arms, metric = list(experiment.cfg.arms), experiment.cfg.metric
    search_time = osp.join(experiment.search_dir, 'search_time.json')
    seconds = None
    if osp.isfile(search_time):
        with open(search_time) as f:
            seconds = json.load(f)['seconds']
    table = markdown_table(summarize(results, arms), metric, seconds)
    write_csv(osp.join(experiment.work_dir, 'results.csv'), results)
    write_atomically(osp.join(experiment.work_dir, 'results.md'), table)
    plot_results(osp.join(experiment.work_dir, 'results.png'), results, arms,
                 metric)
    return table


def main() -> int:
    args = parse_args()
    try:
        experiment = Experiment(args.experiment, args.work_dir)
        check_metric(experiment)
    except ValueError as err:
        print(f'compare_policies: {err}', file=sys.stderr)
        return 2
    launcher = ToolLauncher(gpus=args.gpus)
    print(f'[compare] search: {experiment.cfg.search}')
    run_search(experiment, launcher)
    done = experiment.finished()
    for run in experiment.runs:
        if run in done:
            continue
        print(f'[compare] {run.arm}, seed {run.seed}', flush=True)
        result = run_one(experiment, run, launcher)
        print(f'[compare]   {result["metric"]} = {result["value"]:.4f} '
              f'({result["wall_time"]:.0f} s)', flush=True)
        write_results(experiment)
    print(write_results(experiment))
    print(f'[compare] results in {experiment.work_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
