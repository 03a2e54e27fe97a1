"""Test (evaluate) a checkpoint with an OpenMMLab config."""
import argparse

from mmengine.dist import get_rank
from mmengine.runner import Runner

from ddas_mm.fileio import write_json
from ddas_mm.utils import (add_launch_arguments, finish_distributed,
                           load_config, setup_cpu_distributed)


def parse_args():
    parser = argparse.ArgumentParser(description='Test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out', help='dump the predictions to a pickle file (.pkl)')
    parser.add_argument(
        '--metrics-out', help='write the test metrics to a JSON file')
    add_launch_arguments(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = load_config(args)
    cfg.load_from = args.checkpoint
    if args.out is not None:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise ValueError(f'--out {args.out}: the output file must be a '
                             f'pickle file ending in .pkl')
        cfg.test_evaluator = list(cfg.test_evaluator) if isinstance(
            cfg.test_evaluator, (list, tuple)) else [cfg.test_evaluator]
        cfg.test_evaluator.append(
            dict(type='DumpResults', out_file_path=args.out))
    setup_cpu_distributed(cfg)
    metrics = Runner.from_cfg(cfg).test()
    if args.metrics_out is not None and get_rank() == 0:
        write_json(args.metrics_out, metrics)
    finish_distributed()


if __name__ == '__main__':
    main()
