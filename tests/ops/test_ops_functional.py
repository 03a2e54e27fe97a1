"""apply_op: every op runs everywhere, levels are honoured, signs, batches,
channel order, randomness and argument errors."""
import math

import pytest
import torch
from mmpretrain.datasets.transforms.auto_augment import RANDAUG_POLICIES
from ops_samples import random_boxes, random_image

from ddas_mm.ops import OPS, apply_op

NAMES = list(OPS)
MAGNITUDE_NAMES = [name for name, op in OPS.items() if op.magnitude]
# Ops that draw positions or boxes at random.
RANDOM_NAMES = [
    name for name in NAMES if 'Cutout' in name or name.endswith('_Only_BBoxes')
]
HEIGHT, WIDTH = 37, 53  # small and non-square


def levels_of(name):
    return [None] if OPS[name].magnitude is None else list(range(11))


@pytest.mark.parametrize('name', NAMES)
def test_every_op_and_level_runs(name):
    for level in levels_of(name):
        for channels in (1, 3):
            img = random_image(channels, HEIGHT, WIDTH)
            for backend in ('cv2', 'torch'):
                for boxes in (None, torch.zeros(0, 4),
                              random_boxes(3, HEIGHT, WIDTH)):
                    out, out_boxes = apply_op(name,
                                              img,
                                              boxes,
                                              level,
                                              backend=backend)
                    assert out.shape == img.shape
                    assert out.dtype == torch.uint8
                    assert out.device == img.device
                    if boxes is None:
                        assert out_boxes is None
                    else:
                        assert out_boxes.shape == boxes.shape
                        assert (out_boxes[:, 0::2] >= 0).all()
                        assert (out_boxes[:, 0::2] <= WIDTH).all()
                        assert (out_boxes[:, 1::2] >= 0).all()
                        assert (out_boxes[:, 1::2] <= HEIGHT).all()
                batch = random_image(2, channels, HEIGHT, WIDTH)
                batch_boxes = [
                    random_boxes(2, HEIGHT, WIDTH),
                    torch.zeros(0, 4)
                ]
                out, out_boxes = apply_op(name,
                                          batch,
                                          batch_boxes,
                                          level,
                                          backend=backend)
                assert out.shape == batch.shape
                assert out.dtype == torch.uint8
                assert [b.shape for b in out_boxes] == [(2, 4), (0, 4)]


def ramp_image(size=600):
    """Smooth ramps (one direction per channel) with a little noise: the
    mean pixel change grows with how far an op moves or changes pixels.
    Large enough that Zoph et al.'s 250-pixel translation keeps content."""
    y, x = torch.meshgrid(torch.arange(size),
                          torch.arange(size),
                          indexing='ij')
    ramps = torch.stack(
        [20 + 200 * x / size, 20 + 200 * y / size, 20 + 100 * (x + y) / size])
    noise = torch.randint(-8,
                          9,
                          ramps.shape,
                          generator=torch.Generator().manual_seed(0))
    return (ramps + noise).round().clamp(0, 255).to(torch.uint8)


@pytest.mark.parametrize('name', MAGNITUDE_NAMES)
@pytest.mark.parametrize('backend', ['cv2', 'torch'])
def test_levels_are_honoured(name, backend):
    """The mean change of the image grows with the level, for every op with
    a magnitude (each level draws the same positions and boxes)."""
    img = ramp_image()
    boxes = torch.tensor([[20., 20., 580., 580.]])
    distances = {}
    for level in (0, 2, 4, 6, 8, 10):
        out, _ = apply_op(name,
                          img,
                          boxes,
                          level,
                          sign=1,
                          generator=torch.Generator().manual_seed(0),
                          backend=backend,
                          box_prob=1.0)
        distances[level] = (out.float() - img.float()).abs().mean().item()
    # Posterize keeps 4 bits at levels 0 to 2 (RandAugment's ceil).
    assert distances[2] >= distances[0]
    for low, high in ((2, 4), (4, 6), (6, 8), (8, 10)):
        assert distances[high] > distances[low], distances


def test_magnitudes_match_randaugment():
    """Our level-to-magnitude maps against mmpretrain 1.2's RandAugment
    table (``timm_increasing``), read from the installed package."""
    our_name = {'ColorTransform': 'Color'}
    checked = set()
    for policy in RANDAUG_POLICIES['timm_increasing']:
        if 'magnitude_range' not in policy:
            continue
        name = our_name.get(policy['type'], policy['type'])
        if name in ('Shear', 'Translate'):
            name += 'X' if policy['direction'] == 'horizontal' else 'Y'
        low, high = policy['magnitude_range']
        for level in range(11):
            expected = level / 10 * (high - low) + low
            if name == 'Posterize':
                expected = math.ceil(expected)  # mmpretrain's Posterize
            assert OPS[name].magnitude(level) == pytest.approx(expected)
        checked.add(name)
    assert len(checked) == 12


def test_symmetric_ops_follow_the_sign():
    """+1 turns counter-clockwise, shears x' = x + s y, shifts right and
    enhances; -1 the opposite (checked on where a box goes)."""
    img = random_image(3, 100, 100)
    box = torch.tensor([[70., 45., 80., 55.]])  # right of the centre
    assert apply_op('Rotate', img, box, 10, sign=1)[1][0, 1] < 45
    assert apply_op('Rotate', img, box, 10, sign=-1)[1][0, 1] > 45
    assert apply_op('ShearX', img, box, 10, sign=1)[1][0, 0] > 70
    assert apply_op('ShearY', img, box, 10, sign=-1)[1][0, 1] < 45
    assert apply_op('TranslateX', img, box, 2, sign=1)[1][0, 0] > 70
    assert apply_op('TranslateY', img, box, 2, sign=-1)[1][0, 1] < 45
    brighter = apply_op('Brightness', img, None, 5, sign=1)[0]
    darker = apply_op('Brightness', img, None, 5, sign=-1)[0]
    assert brighter.float().mean() > img.float().mean() > darker.float().mean()


def test_cutout_fills_a_clipped_square_around_a_uniform_pixel():
    """Each image gets the fill in exactly the pixels of one side x side
    square centred on one of its pixels (found by trying every pixel),
    clipped to the image; over a batch the centres reach every edge."""
    height, width, side = 23, 20, 4  # Cutout@10: 0.2 of the shorter side
    img = torch.randint(0, 100, (400, 1, height, width), dtype=torch.uint8,
                        generator=torch.Generator().manual_seed(0))
    out, _ = apply_op('Cutout', img, level=10,
                      generator=torch.Generator().manual_seed(1))
    rows, columns = torch.arange(height)[:, None], torch.arange(width)
    squares = {}
    for y in range(height):
        for x in range(width):
            top, left = y - side // 2, x - side // 2
            squares[y, x] = ((rows >= top) & (rows < top + side)
                             & (columns >= left) & (columns < left + side))
    centres = set()
    for before, after in zip(img, out):
        filled = (after != before)[0]
        assert (after[0][filled] == 128).all()
        matches = [c for c, square in squares.items()
                   if torch.equal(square, filled)]
        assert matches
        centres.update(matches)
    assert {y for y, _ in centres} == set(range(height))
    assert {x for _, x in centres} == set(range(width))


def test_rotate90_turns_counter_clockwise():
    square = random_image(3, 20, 20)
    out, boxes = apply_op('Rotate90', square, torch.tensor([[0., 0., 5., 2.]]))
    # torch.rot90 turns from the first (down) to the second (right) axis:
    # counter-clockwise as displayed.
    assert torch.equal(out, torch.rot90(square, 1, dims=(-2, -1)))
    # The top-left corner goes to the bottom-left.
    assert boxes.tolist() == [[0., 15., 2., 20.]]
    # Non-square: the turned image centred on the same canvas, fill 128.
    img = random_image(3, HEIGHT, WIDTH)
    out, _ = apply_op('Rotate90', img)
    turned = torch.rot90(img, 1, dims=(-2, -1))  # WIDTH high, HEIGHT wide
    margin = (WIDTH - HEIGHT) // 2  # WIDTH - HEIGHT is even here
    assert torch.equal(out[:, :, margin:margin + HEIGHT],
                       turned[:, margin:margin + HEIGHT])
    assert (out[:, :, :margin] == 128).all()
    assert (out[:, :, margin + HEIGHT:] == 128).all()


@pytest.mark.parametrize('name', NAMES)
@pytest.mark.parametrize('backend', ['cv2', 'torch'])
def test_batch_equals_per_image(name, backend):
    level = None if OPS[name].magnitude is None else 6
    batch = random_image(3, 3, HEIGHT, WIDTH)
    boxes = [random_boxes(3, HEIGHT, WIDTH, seed=i) for i in range(3)]
    # Images of different signs run as separate groups, which changes the
    # order of the random draws; so the random ops share one sign here.
    signs = [1, 1, 1] if name in RANDOM_NAMES else [1, -1, 1]
    generator = torch.Generator().manual_seed(0)
    out, out_boxes = apply_op(name,
                              batch,
                              boxes,
                              level,
                              signs,
                              generator=generator,
                              backend=backend,
                              box_prob=0.5)
    generator = torch.Generator().manual_seed(0)
    for i in range(3):
        single, single_boxes = apply_op(name,
                                        batch[i],
                                        boxes[i],
                                        level,
                                        signs[i],
                                        generator=generator,
                                        backend=backend,
                                        box_prob=0.5)
        assert torch.equal(out[i], single), i
        assert torch.equal(out_boxes[i], single_boxes), i


@pytest.mark.parametrize('name', NAMES)
@pytest.mark.parametrize('backend', ['cv2', 'torch'])
def test_bgr_equals_rgb_with_swapped_channels(name, backend):
    level = None if OPS[name].magnitude is None else 8
    bgr = random_image(3, HEIGHT, WIDTH)
    boxes = random_boxes(3, HEIGHT, WIDTH)

    def run(img, channel_order):
        return apply_op(name,
                        img,
                        boxes,
                        level,
                        sign=1,
                        channel_order=channel_order,
                        generator=torch.Generator().manual_seed(0),
                        backend=backend)[0]

    assert torch.equal(run(bgr, 'bgr'), run(bgr.flip(0), 'rgb').flip(0))


def test_channel_order_matters_for_color():
    bgr = random_image(3, HEIGHT, WIDTH)
    as_bgr, _ = apply_op('Color', bgr, level=10, sign=-1)
    as_rgb, _ = apply_op('Color', bgr, level=10, sign=-1, channel_order='rgb')
    assert not torch.equal(as_bgr, as_rgb)


def test_random_sign_draws_both_directions_reproducibly():
    img = random_image(3, HEIGHT, WIDTH)
    batch = img.expand(16, -1, -1, -1)
    box = [torch.tensor([[30., 10., 40., 20.]])] * 16

    def moved_boxes(seed):
        _, boxes = apply_op('TranslateX',
                            batch,
                            box,
                            level=4,
                            generator=torch.Generator().manual_seed(seed))
        return torch.stack([b[0, 0] for b in boxes])

    x = moved_boxes(0)
    assert (x > 30).any() and (x < 30).any()
    assert torch.equal(x, moved_boxes(0))


def test_unknown_op_lists_the_valid_ones():
    with pytest.raises(ValueError, match='Rotate.*Equalize'):
        apply_op('Rotato', random_image(3, 8, 8), level=2)


@pytest.mark.parametrize('name, level', [('Rotate', None), ('Rotate', 11),
                                         ('Rotate', -1), ('Rotate', 2.5),
                                         ('Rotate', True), ('Equalize', 3)])
def test_bad_level_names_the_op_and_what_it_takes(name, level):
    allowed = 'no level' if OPS[name].magnitude is None else '0..10'
    with pytest.raises(ValueError, match=f'{name}.*{allowed}'):
        apply_op(name, random_image(3, 8, 8), level=level)


@pytest.mark.parametrize(
    'kwargs',
    [
        dict(img=torch.zeros(3, 8, 8)),  # not uint8
        dict(img=random_image(2, 8, 8)),  # two channels
        dict(img=random_image(8, 8)),
        dict(boxes=[torch.zeros(0, 4)]),  # a list for one image
        dict(sign=0),
        dict(sign=[1, -1]),  # two signs for one image
        dict(channel_order='hsv'),
        dict(backend='pil'),
    ])
def test_bad_arguments_raise_value_error(kwargs):
    arguments = dict(img=random_image(3, 8, 8), level=3)
    arguments.update(kwargs)
    with pytest.raises(ValueError):
        apply_op('Rotate', **arguments)


def test_batch_boxes_must_be_one_tensor_per_image():
    with pytest.raises(ValueError, match='list of N'):
        apply_op('FlipLR', random_image(2, 3, 8, 8), [torch.zeros(0, 4)])
