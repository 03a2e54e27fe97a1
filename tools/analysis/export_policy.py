"""Export a searched DDAS policy as mmpretrain's or mmdet's own transforms.

For training where ddas_mm cannot be installed: the policy of one search
epoch becomes a pipeline snippet (``ddas_policy_augment = dict(...)``) of
mmcv's RandomApply / RandomChoice around the library's augmentation
transforms. The report (on stderr, and as comments in the snippet) lists
the ops the library lacks, left out with their probability, and the
magnitudes it cannot match.

Example:
    python tools/analysis/export_policy.py \\
        work_dirs/retinanet_r50_search/ddas_policy.json --to mmdet \\
        --out ddas_policy_augment.py
"""
import argparse
import os.path as osp
import sys

from ddas_mm.fileio import write_atomically
from ddas_mm.policy import PolicySchedule
from ddas_mm.export import (DEFAULT_IMG_SHAPES, TARGETS, export_policy,
                            format_snippet)


def _epoch(text: str):
    if text == 'last':
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"takes a search epoch number (1, 2, ...) or 'last', got "
            f'{text!r}') from None


def _size(text: str) -> int:
    try:
        size = int(text)
    except ValueError:
        size = 0
    if size < 1:
        raise argparse.ArgumentTypeError(
            f'takes a height and a width in pixels, got {text!r}')
    return size


def build_parser() -> argparse.ArgumentParser:
    defaults = ', '.join(f'{target} {height} {width}'
                         for target, (height, width) in
                         DEFAULT_IMG_SHAPES.items())
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='The snippet goes in train_pipeline where DynamicDDASAugment '
        'would: after the resize, before the Pack* transform.')
    parser.add_argument(
        'policy', help='a ddas_policy.json written by a search')
    parser.add_argument(
        '--epoch',
        type=_epoch,
        default='last',
        help="search epoch whose policy to export, 1..T, or 'last' "
        '(default)')
    parser.add_argument(
        '--to', required=True, choices=TARGETS, help='the library to use')
    parser.add_argument(
        '--out', help='Python file to write; default: standard output')
    parser.add_argument(
        '--img-shape',
        type=_size,
        nargs=2,
        metavar=('HEIGHT', 'WIDTH'),
        help='shape of the images the transforms get, where a size '
        f'converts between pixels and fractions of the image (default: '
        f'{defaults})')
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        schedule = PolicySchedule.load(args.policy)
        export = export_policy(schedule, args.to, args.epoch, args.img_shape)
    except ValueError as err:
        parser.error(str(err))
    snippet = format_snippet(
        export,
        header=[
            f'Exported from {osp.abspath(args.policy)} by '
            f'tools/analysis/export_policy.py.',
            'Put ddas_policy_augment in train_pipeline where '
            'DynamicDDASAugment would go: after the resize, before the '
            'Pack* transform.', ''
        ])
    print('\n'.join(export.report), file=sys.stderr)
    if args.out:
        try:
            write_atomically(args.out, snippet)
        except OSError as err:
            parser.error(f'cannot write --out {args.out}: {err}')
        print(f'Wrote {args.out}', file=sys.stderr)
    else:
        sys.stdout.write(snippet)
    return 0


if __name__ == '__main__':
    sys.exit(main())
