"""Write a generated COCO-format detection set (Fashion-MNIST items pasted
on real photographs, exact boxes, 10 classes) for experiments and demos.

    python tools/misc/make_detection_set.py data/fashion-det/train \
        --num-images 600 --seed 0
"""
import argparse
import os.path as osp

from ddas_mm.testing import make_coco_detection_set


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('root', help='output folder (images/ and '
                        'annotations.json)')
    parser.add_argument('--num-images', type=int, default=600)
    parser.add_argument('--width', type=int, default=160)
    parser.add_argument('--height', type=int, default=120)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    if osp.isfile(osp.join(args.root, 'annotations.json')):
        print(f'{args.root} exists, left as it is')
        return
    path = make_coco_detection_set(
        args.root, num_images=args.num_images,
        image_size=(args.width, args.height), seed=args.seed)
    print(f'wrote {path}')


if __name__ == '__main__':
    main()
