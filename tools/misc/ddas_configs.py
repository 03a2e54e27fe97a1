"""Write a DDAS search config and a retraining config for your own config.

    python tools/misc/ddas_configs.py CONFIG [--out-dir DIR] \
        [--num-train N --num-val M --epochs E --preset P] [--num-classes C] \
        [--sgd-lr LR] [--channel-order bgr|rgb] [--policy FILE]

CONFIG is a path or an ``mmdet::`` / ``mmpretrain::`` name. Both generated
configs inherit it through ``_base_``: ``<name>_ddas_search.py`` searches a
policy on a proxy split of its training set, ``<name>_ddas_retrain.py``
trains it as before with the searched policy replayed. They go to DIR
(default ``work_dirs/<name>/``); the commands to run them are printed.
"""
import argparse
import sys

from ddas_mm.config_gen import ConfigError, generate_ddas_configs
from ddas_mm.ops import CHANNEL_ORDERS, PRESETS


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='a config path or mmdet::/mmpretrain:: '
                        'name')
    parser.add_argument('--out-dir', help='default: work_dirs/<config name>')
    parser.add_argument('--num-train', type=int,
                        help='S_train images (default: 3000 detection, '
                        '2000 classification)')
    parser.add_argument('--num-val', type=int,
                        help='S_val images (default: 1500 / 2000)')
    parser.add_argument('--epochs', type=int,
                        help='search epochs (default: 30 / 20)')
    parser.add_argument('--preset', choices=sorted(PRESETS),
                        help='search space (default: coco for detection; '
                        'cifar or imagenet by image size)')
    parser.add_argument('--num-classes', type=int,
                        help='classification: split per class over this '
                        'many random classes')
    parser.add_argument('--sgd-lr', type=float,
                        help='search with SGD at this learning rate where '
                        'the config uses another optimizer')
    parser.add_argument('--channel-order', choices=CHANNEL_ORDERS,
                        help='where the pipeline does not tell it')
    parser.add_argument('--policy', help='the policy file the retraining '
                        'replays (default: the search config\'s work dir)')
    return parser.parse_args()


def main():
    args = parse_args()
    try:
        generated = generate_ddas_configs(
            args.config,
            out_dir=args.out_dir,
            num_train=args.num_train,
            num_val=args.num_val,
            epochs=args.epochs,
            preset=args.preset,
            num_classes=args.num_classes,
            sgd_lr=args.sgd_lr,
            channel_order=args.channel_order,
            policy=args.policy)
    except ConfigError as err:
        print(f'ddas_configs.py: {err}', file=sys.stderr)
        sys.exit(2)
    for note in generated.notes:
        print(f'note: {note}')
    print(f'search:  python tools/train.py {generated.search}')
    print(f'retrain: python tools/train.py {generated.retrain}')


if __name__ == '__main__':
    main()
