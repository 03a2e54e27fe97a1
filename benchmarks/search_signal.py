"""Does a search learn something? Seeds against a noise floor.

Runs a search config once per seed for each estimator of d_l (the same proxy
split every time: the config's ``ProxySplit`` seed; ``randomness.seed``
changes the network, the batches and the draws), and as a noise floor the
same searches with every d_l replaced by a random sign, which learn nothing
by construction. Prints:

- per run: the final p_tp, the policy steps taken, the Spearman correlation
  of the final p_o (the ranking of alpha_o) with the op's mean
  ``|g_l| / |g_0|`` and with its mean ``-d_l / Z_g`` over the search;
- per estimator: the mean pairwise Spearman correlation of the final p_o
  between seeds (do seeds agree?), and where p_tp's pull comes from: the
  mean ``d_l / Z_g`` of branches whose gradient is longer than the clean
  batch's against those whose gradient is shorter (a negative d_l pulls
  p_tp up), and the Spearman correlation of ``|g_l| / |g_0|`` with
  ``-d_l / Z_g`` over all branches.

Finished runs (a policy of every epoch of the search) are reused and a
stopped one resumes from its last checkpoint, so an interrupted benchmark
continues, and several can share a work dir.

Examples:
    OMP_NUM_THREADS=1 python benchmarks/search_signal.py \
        configs/ddas/convnet_fashion-mnist-pool1000_search.py \
        --estimators paper equal-norm --seeds 0 1 2 --jobs 2
"""
import argparse
import itertools
import json
import math
import os
import os.path as osp
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from mmengine.config import Config
from scipy.stats import spearmanr

from ddas_mm.engine.signal_hook import SIGNAL_FILENAME
from ddas_mm.policy import PolicySchedule
from ddas_mm.policy.estimator import ESTIMATORS
from ddas_mm.policy.schedule import POLICY_FILENAME, records_every_epoch

NOISE_FLOOR = 'random-sign'
# The first argument of the child process that runs one search.
CHILD = '--one-search'


def random_sign_alignment(grads: torch.Tensor,
                          g_val: torch.Tensor) -> torch.Tensor:
    """The noise floor's d_l: a random sign per branch (torch's generator,
    which the runner seeds)."""
    signs = torch.randint(0, 2, (len(grads) - 1, ), device=grads.device)
    return (2 * signs - 1).to(grads.dtype)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='a search config')
    parser.add_argument('--estimators', nargs='+', default=['paper'],
                        choices=sorted(ESTIMATORS))
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--no-noise-floor', action='store_true',
                        help='leave out the random-sign searches')
    parser.add_argument('--jobs', type=int, default=1,
                        help='searches run at a time')
    parser.add_argument('--work-dir', default='work_dirs/search_signal')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='key=value overrides for every search, as '
                        "tools/train.py's")
    args = parser.parse_args()
    if len(args.seeds) < 2:
        parser.error('give at least two seeds: agreement needs pairs.')
    return args


def run_one(arguments: list) -> None:
    """One search in this process, as tools/train.py reads its arguments
    (``CONFIG --work-dir DIR --cfg-options ...``), with the signal hook and
    the noise floor's estimator added."""
    from mmengine.runner import Runner

    from ddas_mm.utils import add_launch_arguments, load_config
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    parser.add_argument('--resume', action='store_true')
    add_launch_arguments(parser)
    args = parser.parse_args(arguments)
    cfg = load_config(args)
    cfg.resume = args.resume
    ESTIMATORS[NOISE_FLOOR] = random_sign_alignment
    cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
        dict(type='DDASSignalHook')
    ]
    Runner.from_cfg(cfg).train()


def run_dir(work_dir: str, estimator: str, seed: int) -> str:
    return osp.join(work_dir, estimator, f'seed{seed}')


def finished(folder: str, config: str) -> bool:
    """Whether the search in ``folder`` recorded its policy of every epoch
    (the signal file is written after each epoch, so it exists as soon as
    one has passed). The search's own config, as the run wrote it into its
    folder, says how many epochs it has."""
    written = osp.join(folder, osp.basename(config))
    if not (osp.isfile(written)
            and osp.isfile(osp.join(folder, SIGNAL_FILENAME))):
        return False
    return records_every_epoch(
        osp.join(folder, POLICY_FILENAME),
        Config.fromfile(written).train_cfg.max_epochs)


def launch(args, estimator: str, seed: int) -> None:
    """Run one search in a child process unless it has finished; resume
    it where it has a checkpoint."""
    folder = run_dir(args.work_dir, estimator, seed)
    if finished(folder, args.config):
        return
    # The run's seed and estimator after the user's options, so they win.
    command = [
        sys.executable, osp.abspath(__file__), CHILD, args.config,
        '--work-dir', folder, '--cfg-options', *args.cfg_options,
        f'randomness.seed={seed}', f'train_cfg.estimator={estimator}'
    ] + (['--resume'] if osp.isfile(osp.join(folder, 'last_checkpoint'))
         else [])
    env = dict(os.environ)
    env.setdefault('OMP_NUM_THREADS', '1')
    os.makedirs(folder, exist_ok=True)
    with open(osp.join(folder, 'search.log'), 'a') as log:
        subprocess.run(command, check=True, stdout=log,
                       stderr=subprocess.STDOUT, env=env)


def summarise_run(folder: str) -> dict:
    """The final policy and the per-op statistics of one search."""
    schedule = PolicySchedule.load(osp.join(folder, POLICY_FILENAME))
    with open(osp.join(folder, SIGNAL_FILENAME)) as f:
        # Steps the policy took, with gradients of finite length: a
        # diverged network can leave a noise-floor step among them.
        branches = [
            b for b in json.load(f)['branches']
            if b['d'] is not None and b['norm_ratio'] is not None
            and math.isfinite(b['norm_ratio'])
        ]
    p_o = schedule.p_o[-1]
    num_ops = len(p_o)
    ratio_sum, d_sum, count = (np.zeros(num_ops) for _ in range(3))
    for branch in branches:
        for op in branch['ops']:
            ratio_sum[op] += branch['norm_ratio']
            d_sum[op] += branch['d']
            count[op] += 1
    seen = count > 0
    return dict(
        p_tp=float(schedule.p_tp[-1]),
        p_o=p_o,
        steps=len({b['iter'] for b in branches}),
        rho_ratio=spearmanr(p_o[seen], ratio_sum[seen] / count[seen])[0],
        rho_d=spearmanr(p_o[seen], -d_sum[seen] / count[seen])[0],
        ratios=np.array([b['norm_ratio'] for b in branches]),
        d=np.array([b['d'] for b in branches]))


def summarise(runs: list) -> dict:
    """Seed agreement and the pull on p_tp of one estimator's runs."""
    ratios = np.concatenate([r['ratios'] for r in runs])
    d = np.concatenate([r['d'] for r in runs])
    longer = ratios > 1
    return dict(
        agreement=statistics.mean(
            spearmanr(a['p_o'], b['p_o'])[0]
            for a, b in itertools.combinations(runs, 2)),
        share_longer=longer.mean(),
        d_longer=d[longer].mean() if longer.any() else float('nan'),
        d_shorter=d[~longer].mean() if (~longer).any() else float('nan'),
        rho_branch=spearmanr(ratios, -d)[0])


def main():
    if sys.argv[1:2] == [CHILD]:
        run_one(sys.argv[2:])
        return
    args = parse_args()
    estimators = args.estimators + ([] if args.no_noise_floor else
                                    [NOISE_FLOOR])
    jobs = [(e, s) for e in estimators for s in args.seeds]
    with ThreadPoolExecutor(args.jobs) as pool:
        list(pool.map(lambda job: launch(args, *job), jobs))

    print(f'Search: {args.config}, seeds {args.seeds}')
    print('| estimator | seed | policy steps | final p_tp | rho(p_o, '
          '|g_l|/|g_0|) | rho(p_o, -d_l/Z_g) |')
    print('|---|---|---|---|---|---|')
    summaries = {}
    for estimator in estimators:
        runs = [summarise_run(run_dir(args.work_dir, estimator, s))
                for s in args.seeds]
        for seed, run in zip(args.seeds, runs):
            print(f"| {estimator} | {seed} | {run['steps']} | "
                  f"{run['p_tp']:.3f} | {run['rho_ratio']:+.2f} | "
                  f"{run['rho_d']:+.2f} |")
        summaries[estimator] = summarise(runs)
    print()
    print('| estimator | seed agreement (mean pairwise Spearman of p_o) | '
          'branches with |g_l| > |g_0| | mean d_l/Z_g there | '
          'elsewhere | rho(|g_l|/|g_0|, -d_l/Z_g) |')
    print('|---|---|---|---|---|---|')
    for estimator, s in summaries.items():
        print(f"| {estimator} | {s['agreement']:+.2f} | "
              f"{s['share_longer']:.2f} | {s['d_longer']:+.3f} | "
              f"{s['d_shorter']:+.3f} | {s['rho_branch']:+.2f} |")


if __name__ == '__main__':
    main()
