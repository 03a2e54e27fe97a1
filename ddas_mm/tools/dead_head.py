"""Has a detector's classification branch died? Share of its activations at
or below 0 and the spread of its class scores between images.

A search or retraining whose branch died keeps finite losses; its search
skips policy steps with ``Z_g = 0``. Exit status 3 when the branch is dead,
4 when its scores are not finite (a diverged run).

Example:
    python tools/analysis/dead_head.py \\
        work_dirs/det_budget_1x/paper/seed2/retinanet-tiny_fashion-det_search.py \\
        work_dirs/det_budget_1x/paper/seed2/epoch_5.pth
"""
import argparse
import sys

import ddas_mm  # noqa: F401 (registers the project's modules)
from ddas_mm.experiment.head_activity import (DEAD, NOT_FINITE, NUM_IMAGES,
                                              checkpoint_head_activity)
from ddas_mm.fileio import write_json


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='the config the checkpoint trained')
    parser.add_argument('checkpoint', help='a checkpoint of that config')
    parser.add_argument(
        '--num-images',
        type=int,
        default=NUM_IMAGES,
        help=f'images of the config\'s val dataset to run (default '
        f'{NUM_IMAGES})')
    parser.add_argument(
        '--out',
        help='also write the measurement to this JSON file (dead_share, '
        'score_spread)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        activity = checkpoint_head_activity(args.config, args.checkpoint,
                                            args.num_images)
    except ValueError as err:
        print(err, file=sys.stderr)
        return 2
    if args.out:
        write_json(args.out, activity._asdict())
    shares = ', '.join(f'{share:.3f}' for share in activity.dead_share)
    verdict = ('NOT FINITE' if not activity.finite else
               'DEAD' if activity.dead else 'alive')
    print(f'{args.checkpoint}: activations <= 0 per classification conv: '
          f'{shares}; class score spread between images: '
          f'{activity.score_spread:.4g}; {verdict}')
    if not activity.finite:
        return NOT_FINITE
    return DEAD if activity.dead else 0


if __name__ == '__main__':
    sys.exit(main())
