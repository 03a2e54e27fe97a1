"""Random images and boxes for the ops tests, and boxes of every kind the
box rule treats."""
import numpy as np
import torch

from ddas_mm.ops import OPS, GeometricOp


def random_image(*shape, seed=0):
    """A uint8 noise image or batch of the given shape."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, shape, dtype=torch.uint8, generator=generator)


def random_boxes(count, height, width, seed=0):
    """(count, 4) pixel xyxy boxes inside a height x width image."""
    generator = torch.Generator().manual_seed(seed)
    corners = torch.rand(count, 2, 2, generator=generator) * torch.tensor(
        [width, height])
    return torch.cat([corners.min(1).values, corners.max(1).values], dim=1)


# Boxes of every kind the box rule treats, on an EDGE_HEIGHT x EDGE_WIDTH
# image, by label: 0, 1 and 3 are objects (1 big and central enough to
# survive any op), the others carry none from the start.
EDGE_HEIGHT, EDGE_WIDTH = 64, 96
EDGE_BOXES = {
    0: [-12., 10., 30., 40.],  # partly outside, on the left
    1: [30., 16., 66., 48.],  # inside
    2: [100., 5., 120., 25.],  # wholly outside, on the right
    3: [50., 50., 80., 75.],  # partly outside, at the bottom
    4: [60., 10., 30., 40.],  # inverted in x
    5: [10., 40., 30., 10.],  # inverted in y
    6: [40., 10., 40., 30.],  # zero width
}
EDGE_OBJECTS = (0, 1, 3)


def edge_masks():
    """(7, H, W) uint8 bitmaps, each filling its edge box's pixels inside
    the image (whatever the box's corner order), none empty but label 2's
    and 6's."""
    masks = np.zeros((len(EDGE_BOXES), EDGE_HEIGHT, EDGE_WIDTH), np.uint8)
    for mask, (x1, y1, x2, y2) in zip(masks, EDGE_BOXES.values()):
        xs, ys = sorted((int(x1), int(x2))), sorted((int(y1), int(y2)))
        mask[max(ys[0], 0):ys[1], max(xs[0], 0):xs[1]] = 1
    return masks


def clipped_edge_boxes():
    """The objects' boxes clipped to the image, by label."""
    return {
        label: [
            min(max(v, 0), EDGE_WIDTH if i % 2 == 0 else EDGE_HEIGHT)
            for i, v in enumerate(EDGE_BOXES[label])
        ]
        for label in EDGE_OBJECTS
    }


def assert_box_rule(name, boxes, labels):
    """What the box rule leaves of the edge boxes after op ``name``: every
    box inside the image and at least 1 pixel wide and high, no box that
    carried no object on input, the inside object still there. An op that
    moves no boxes leaves the objects' boxes as clipped, and one that moves
    no pixels at all (so no mask empties) keeps every object."""
    op = OPS[name]
    boxes = torch.as_tensor(boxes).reshape(-1, 4)
    assert len(boxes) == len(labels), name
    assert (boxes >= 0).all() and (boxes[:, 0::2] <= EDGE_WIDTH).all() and (
        boxes[:, 1::2] <= EDGE_HEIGHT).all(), (name, boxes)
    assert (boxes[:, 2:] - boxes[:, :2] >= 1).all(), (name, boxes)
    assert set(labels) <= set(EDGE_OBJECTS) and 1 in labels, (name, labels)
    if not op.moves_targets:
        assert list(labels) == list(EDGE_OBJECTS), (name, labels)
    if not isinstance(op, GeometricOp):
        expected = clipped_edge_boxes()
        assert boxes.tolist() == [expected[label] for label in labels], name
