"""Plot a searched DDAS policy: p_tp per epoch, p_o heat map, top ops.

Example:
    python tools/analysis/plot_policy.py \
        work_dirs/wrn40-2_cifar10_search/ddas_policy.json --top-k 10
"""
import argparse
import os.path as osp
import sys

from ddas_mm.policy import PolicySchedule
from ddas_mm.visualization import plot_policy


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        'policy', help='a ddas_policy.json written by a search')
    parser.add_argument(
        '--out', help='image to write; defaults to the policy file with .png')
    parser.add_argument(
        '--top-k',
        type=int,
        default=10,
        help='number of most likely ops to show (default 10)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        schedule = PolicySchedule.load(args.policy)
    except ValueError as err:
        print(err, file=sys.stderr)
        return 1
    out = args.out or osp.splitext(args.policy)[0] + '.png'
    plot_policy(schedule, out, top_k=args.top_k)
    print(f'Plotted {len(schedule)} epochs of {args.policy} to {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
