"""Train, or search a DDAS policy, with an OpenMMLab config.

Works for mmdet, mmpretrain and ddas_mm configs alike; the config decides
what runs (``train_cfg=dict(type='DDASSearchLoop', ...)`` searches).
"""
import argparse

from mmengine.config import Config
from mmengine.runner import Runner

from ddas_mm.utils import (add_launch_arguments, finish_distributed,
                           load_config, setup_cpu_distributed)


def parse_args():
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training (needs a GPU)')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='enable automatically scaling LR by the total batch size')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint; without a path, from the '
        'latest checkpoint in the work_dir')
    add_launch_arguments(parser)
    return parser.parse_args()


def build_config(args) -> Config:
    """Load the config and apply the training arguments to it."""
    cfg = load_config(args)
    if args.amp:
        optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_wrapper == 'AmpOptimWrapper':
            print('AMP training is already enabled in the config.')
        else:
            if optim_wrapper != 'OptimWrapper':
                raise ValueError(
                    f'--amp replaces optim_wrapper.type=OptimWrapper, but the '
                    f'config uses {optim_wrapper}; set AmpOptimWrapper in the '
                    f'config instead.')
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in \
                cfg.auto_scale_lr:
            raise RuntimeError('--auto-scale-lr needs `auto_scale_lr` with '
                               '`base_batch_size` in the config.')
        cfg.auto_scale_lr.enable = True
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


def main():
    args = parse_args()
    cfg = build_config(args)
    setup_cpu_distributed(cfg)
    Runner.from_cfg(cfg).train()
    finish_distributed()


if __name__ == '__main__':
    main()
