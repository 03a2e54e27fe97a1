"""Does the searched policy pay off? Search, retrain every arm, compare.

    python tools/analysis/compare_policies.py EXPERIMENT.py \
        [--work-dir DIR] [--launcher none|pytorch] [--gpus N] [--jobs J]
    python -m ddas_mm.tools.compare_policies EXPERIMENT.py ...  # installed

The experiment file names the search and retraining configs, the arms, the
seeds and the test metric (see ``ddas_mm.experiment.harness``). The search
runs first when its policy file is missing; then every arm is retrained and
tested for every seed, each through the entry points of tools/train.py and
tools/test.py (under torchrun with ``--launcher pytorch --gpus N``),
``--jobs J`` of them at a time (on a machine with J times the cores or GPUs
a run takes). Results go to the work dir: ``results.csv``
(one row per run), ``results.md`` (``ddas`` minus every other arm paired
by seed, ``uniform`` first; mean ± std per arm, the difference to
``none`` paired by seed with its 95 % interval, the mean on the training
data, the search's cost) and ``results.png``. A finished run is never
repeated: started again, the tool runs only what is missing. The search
runs only if an arm replays it.
"""
import argparse
import json
import os.path as osp
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed

from ddas_mm.experiment import (Experiment, ToolLauncher, check_finished_run,
                                check_metric, markdown_table, paired_table,
                                plot_results, run_one, run_search, summarize,
                                write_csv)
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
    parser.add_argument('--jobs', type=int, default=1,
                        help='runs at a time (each in processes of its own)')
    args = parser.parse_args()
    if args.launcher == 'none' and args.gpus != 1:
        parser.error('--gpus needs --launcher pytorch')
    if args.jobs < 1:
        parser.error(f'--jobs must be at least 1, got {args.jobs}')
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
    paired = paired_table(results, arms)
    if paired:
        table = paired + '\n' + table
    write_csv(osp.join(experiment.work_dir, 'results.csv'), results)
    write_atomically(osp.join(experiment.work_dir, 'results.md'), table)
    plot_results(osp.join(experiment.work_dir, 'results.png'), results, arms,
                 metric)
    return table


def _outcome(result: dict) -> str:
    """A run's values, or why it failed."""
    if result.get('failure') is not None:
        return (f'failed: {result["failure"]}; delete its folder to run it '
                f'again')
    train_value = result['train_value']
    train_text = 'none' if train_value is None else f'{train_value:.4f}'
    return (f'{result["metric"]} = {result["value"]:.4f}, on the training '
            f'data {train_text}')


def say(line: str) -> None:
    """Print a line in one write, so that lines of runs going on side by
    side do not interleave."""
    sys.stdout.write(line + '\n')
    sys.stdout.flush()


def main() -> int:
    args = parse_args()
    try:
        experiment = Experiment(args.experiment, args.work_dir)
        check_metric(experiment)
    except ValueError as err:
        print(f'compare_policies: {err}', file=sys.stderr)
        return 2
    launcher = ToolLauncher(gpus=args.gpus)
    if experiment.needs_search:
        say(f'[compare] search: {experiment.cfg.search}')
        run_search(experiment, launcher)
    done = experiment.finished()
    for run, result in done.items():
        checked = check_finished_run(experiment, run, result, launcher)
        if checked is not None and checked['failure'] is not None:
            say(f'[compare] {run.arm}, seed {run.seed}, finished before: '
                f'{_outcome(checked)}')

    def start(run):
        say(f'[compare] {run.arm}, seed {run.seed}')
        return run_one(experiment, run, launcher)

    with ThreadPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(start, run) for run in experiment.runs
                   if run not in done]
        try:
            for future in as_completed(futures):
                result = future.result()
                say(f'[compare]   {result["arm"]}, seed {result["seed"]}: '
                    f'{_outcome(result)} ({result["wall_time"]:.0f} s)')
                write_results(experiment)
        except BaseException:
            # A tool that fails (not a failed run, without a value or with
            # a dead classification branch, which is recorded) stops the
            # experiment: the runs not started yet are not started.
            pool.shutdown(cancel_futures=True)
            raise
    print(write_results(experiment))
    print(f'[compare] results in {experiment.work_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
