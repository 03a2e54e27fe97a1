"""Real small data available offline.

Fashion-MNIST comes from the Debian package ``dataset-fashion-mnist``
(``tools/setup_env.sh`` installs it and un-gzips it into
``data/fashion-mnist``). Detection sets are built from it: Fashion-MNIST
items pasted on crops of a real photograph (matplotlib's sample image of
Grace Hopper, public domain), written in COCO format, with exact boxes and
instance masks, and in COCO panoptic format (the items are things, the
photograph around them one stuff segment).
"""
import gzip
import json
import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import cv2
import matplotlib
import numpy as np

from ddas_mm.ops.polygons import trace

FASHION_MNIST_CLASSES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress',
                         'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag',
                         'Ankle boot')
DEBIAN_FASHION_MNIST = '/usr/share/datasets/fashion-mnist'
_REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# A pasted item's pixels darker than this (of 255) are background, not object.
OBJECT_THRESHOLD = 16


def fashion_mnist_root() -> str:
    """Return the folder with the un-gzipped Fashion-MNIST idx files.

    Returns:
        str: ``data/fashion-mnist`` of the repository.

    Raises:
        FileNotFoundError: if the files are missing, naming the fix.
    """
    root = osp.join(_REPO_ROOT, 'data', 'fashion-mnist')
    if not osp.exists(osp.join(root, 'train-images-idx3-ubyte')):
        raise FileNotFoundError(
            f'Fashion-MNIST is not prepared in {root}: run `make setup` '
            f'(it installs the Debian package dataset-fashion-mnist and '
            f'un-gzips {DEBIAN_FASHION_MNIST}/*.gz there).')
    return root


def _read_idx(path: str, header_bytes: int) -> np.ndarray:
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header_bytes)


def load_fashion_mnist(split: str = 'train') -> Tuple[np.ndarray, np.ndarray]:
    """Load Fashion-MNIST images and labels.

    Args:
        split (str): 'train' (60000 images) or 'test' (10000).

    Returns:
        tuple: images (N, 28, 28) uint8 and labels (N,) int64.
    """
    prefix = {'train': 'train', 'test': 't10k'}[split]
    root = fashion_mnist_root()
    images = _read_idx(osp.join(root, f'{prefix}-images-idx3-ubyte'), 16)
    labels = _read_idx(osp.join(root, f'{prefix}-labels-idx1-ubyte'), 8)
    return images.reshape(-1, 28, 28), labels.astype(np.int64)


def _background_photo() -> np.ndarray:
    path = osp.join(matplotlib.get_data_path(), 'sample_data',
                    'grace_hopper.jpg')
    return cv2.imread(path, cv2.IMREAD_COLOR)  # BGR, 600x512


def make_coco_detection_set(root: str,
                            num_images: int = 8,
                            image_size: Tuple[int, int] = (160, 120),
                            objects_per_image: Tuple[int, int] = (1, 3),
                            object_scale: int = 2,
                            seed: int = 0,
                            return_masks: bool = False):
    """Write a small COCO-format detection set with exact boxes and masks.

    Each image is a random crop of a real photograph (enlarged when the
    images are larger than it) with 1..n Fashion-MNIST
    items pasted at random places (upscaled by ``object_scale``); an item's
    pixels are those brighter than ``OBJECT_THRESHOLD``, its box is their
    tight box, its ``area`` their count and its ``segmentation`` their
    outline as COCO polygons (:func:`~ddas_mm.ops.polygons.trace`), which
    rasterise to these pixels and the darker ones they enclose (COCO
    polygons have no holes). Items do not overlap, so every object pixel
    belongs to one box.

    Args:
        root (str): Output folder; gets ``images/`` and ``annotations.json``.
        num_images (int): Number of images.
        image_size (tuple): (width, height) of every image.
        objects_per_image (tuple): Inclusive range of items per image.
        object_scale (int): Upscaling factor of the 28x28 items.
        seed (int): Seed of every random choice.
        return_masks (bool): Also return the boolean object masks.

    Returns:
        str | tuple: Path of ``annotations.json``; with ``return_masks``
        also a list (per image, in file order) of (num_objects, H, W) masks.
    """
    rng = np.random.default_rng(seed)
    items, labels = load_fashion_mnist('test')
    width, height = image_size
    photo = _background_photo()
    # Enlarge the photo where the images are larger than it (600x512).
    scale = max(width / photo.shape[1], height / photo.shape[0])
    if scale > 1:
        photo = cv2.resize(photo, None, fx=scale + 1e-3, fy=scale + 1e-3)
    side = 28 * object_scale
    if side * 2 > min(width, height):
        raise ValueError(f'image_size {image_size} is too small for items '
                         f'of {side} px; use object_scale=1 or larger images')
    os.makedirs(osp.join(root, 'images'), exist_ok=True)
    coco = dict(
        images=[], annotations=[],
        categories=[dict(id=i + 1, name=name)
                    for i, name in enumerate(FASHION_MNIST_CLASSES)])
    all_masks: List[np.ndarray] = []
    for image_id in range(1, num_images + 1):
        y0 = rng.integers(0, photo.shape[0] - height + 1)
        x0 = rng.integers(0, photo.shape[1] - width + 1)
        image = photo[y0:y0 + height, x0:x0 + width].copy()
        occupied = np.zeros((height, width), bool)
        masks = []
        for _ in range(rng.integers(objects_per_image[0],
                                    objects_per_image[1] + 1)):
            placed = _paste_item(rng, image, occupied, items, labels, side)
            if placed is None:
                continue
            mask, label = placed
            ys, xs = np.nonzero(mask)
            x1, y1 = float(xs.min()), float(ys.min())
            x2, y2 = float(xs.max() + 1), float(ys.max() + 1)
            coco['annotations'].append(
                dict(id=len(coco['annotations']) + 1, image_id=image_id,
                     category_id=int(label) + 1,
                     bbox=[x1, y1, x2 - x1, y2 - y1],
                     segmentation=[[round(float(v), 3) for v in part]
                                   for part in trace(mask)],
                     area=float(mask.sum()), iscrowd=0))
            masks.append(mask)
        file_name = f'{image_id:06d}.jpg'
        cv2.imwrite(osp.join(root, 'images', file_name), image,
                    [cv2.IMWRITE_JPEG_QUALITY, 95])
        coco['images'].append(
            dict(id=image_id, file_name=file_name, width=width,
                 height=height))
        all_masks.append(np.stack(masks) if masks else np.zeros(
            (0, height, width), bool))
    ann_file = osp.join(root, 'annotations.json')
    with open(ann_file, 'w') as f:
        json.dump(coco, f)
    return (ann_file, all_masks) if return_masks else ann_file


def make_coco_panoptic_set(
        root: str,
        num_images: int = 8,
        image_size: Tuple[int, int] = (160, 120),
        objects_per_image: Tuple[int, int] = (1, 3),
        object_scale: int = 2,
        seed: int = 0,
        thing_classes: Sequence[str] = FASHION_MNIST_CLASSES,
        stuff_classes: Sequence[str] = ('background', )) -> str:
    """Write a small COCO panoptic set: the images and items of
    :func:`make_coco_detection_set`, one panoptic PNG per image.

    Every pixel of an image belongs to one segment: each item's pixels are
    a thing segment of its class, the rest of the image one segment of the
    first stuff class. The PNG of an image stores its segment ids as RGB,
    id = R + 256 * G + 256 ** 2 * B (COCO panoptic's encoding); each
    segment's ``bbox`` is the tight box of its pixels, its ``area`` their
    count. The categories are ``thing_classes`` (``isthing`` 1, ids from 1)
    then ``stuff_classes`` (``isthing`` 0), all written whether used or
    not, so that a dataset given these names in this order labels them
    0, 1, ... as a model with that many thing and stuff classes expects.

    Args:
        root (str): Output folder; gets ``images/``, ``panoptic/`` (the
            PNGs, named as the images), ``panoptic.json`` and the instance
            annotations ``annotations.json``.
        num_images (int): Number of images.
        image_size (tuple): (width, height) of every image.
        objects_per_image (tuple): Inclusive range of items per image.
        object_scale (int): Upscaling factor of the 28x28 items.
        seed (int): Seed of every random choice.
        thing_classes (Sequence[str]): Names of the thing categories, the
            Fashion-MNIST classes first (the items' classes).
        stuff_classes (Sequence[str]): Names of the stuff categories, at
            least one (the first is the photograph's).

    Returns:
        str: Path of ``panoptic.json``.
    """
    if tuple(thing_classes[:len(FASHION_MNIST_CLASSES)]) != \
            FASHION_MNIST_CLASSES or not stuff_classes:
        raise ValueError('thing_classes must start with FASHION_MNIST_CLASSES '
                         'and stuff_classes name at least one class')
    ann_file, all_masks = make_coco_detection_set(
        root, num_images, image_size, objects_per_image, object_scale, seed,
        return_masks=True)
    with open(ann_file) as f:
        coco = json.load(f)
    stuff_id = len(thing_classes) + 1
    panoptic = dict(
        images=coco['images'], annotations=[],
        categories=[
            dict(id=i + 1, name=name, isthing=int(i < len(thing_classes)))
            for i, name in enumerate(tuple(thing_classes) +
                                     tuple(stuff_classes))
        ])
    os.makedirs(osp.join(root, 'panoptic'), exist_ok=True)
    for image, masks in zip(coco['images'], all_masks):
        labels = [ann['category_id'] for ann in coco['annotations']
                  if ann['image_id'] == image['id']]
        stuff = ~masks.any(axis=0)
        ids = np.zeros(stuff.shape, np.int64)
        segments = []
        # Ids use the three channels and differ between images.
        for index, (mask, category_id) in enumerate(
                zip(list(masks) + [stuff], labels + [stuff_id])):
            segment_id = (category_id + 256 * (index + 1) +
                          256**2 * image['id'])
            ids[mask] = segment_id
            ys, xs = np.nonzero(mask)
            x1, y1 = int(xs.min()), int(ys.min())
            segments.append(
                dict(id=segment_id, category_id=category_id,
                     bbox=[x1, y1, int(xs.max()) + 1 - x1,
                           int(ys.max()) + 1 - y1],
                     area=int(mask.sum()), iscrowd=0))
        file_name = osp.splitext(image['file_name'])[0] + '.png'
        rgb = np.stack([ids % 256, ids // 256 % 256, ids // 256**2], axis=-1)
        cv2.imwrite(osp.join(root, 'panoptic', file_name),
                    rgb[..., ::-1].astype(np.uint8))  # cv2 writes BGR
        panoptic['annotations'].append(
            dict(image_id=image['id'], file_name=file_name,
                 segments_info=segments))
    pan_file = osp.join(root, 'panoptic.json')
    with open(pan_file, 'w') as f:
        json.dump(panoptic, f)
    return pan_file


def _paste_item(rng: np.random.Generator, image: np.ndarray,
                occupied: np.ndarray, items: np.ndarray, labels: np.ndarray,
                side: int) -> Optional[Tuple[np.ndarray, int]]:
    """Paste one random item where nothing is yet; None if no room found."""
    height, width = occupied.shape
    for _ in range(20):
        index = rng.integers(len(items))
        y = rng.integers(0, height - side + 1)
        x = rng.integers(0, width - side + 1)
        if occupied[y:y + side, x:x + side].any():
            continue
        item = cv2.resize(items[index], (side, side),
                          interpolation=cv2.INTER_NEAREST)
        item_mask = item > OBJECT_THRESHOLD
        colour = rng.integers(64, 256, size=3)
        region = image[y:y + side, x:x + side]
        shade = item[..., None].astype(np.float32) / 255.0
        region[item_mask] = (shade[item_mask] * colour).astype(np.uint8)
        occupied[y:y + side, x:x + side] = True
        mask = np.zeros_like(occupied)
        mask[y:y + side, x:x + side] = item_mask
        return mask, int(labels[index])
    return None
