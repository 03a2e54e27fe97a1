"""mmpretrain's transforms for our ops (mmpretrain 1.2, ``RandAugment``'s
transforms), which take our magnitudes as they are."""
from ddas_mm.ops.constants import (FILL_VALUE, POSITIVE_SIGN_PROB,
                                   SOLARIZE_ADD_THRESHOLD)
from .mapping import (ExportTarget, Mapping, cutout_side, exact_value, flip,
                      identity, num, same_name, smooth_note, translation)

# mmpretrain's names where they differ from ours.
_NAMES = {'Color': 'ColorTransform'}
# A symmetric op's sign, drawn as ours: mmpretrain negates the magnitude
# with this probability. Both directions are equally likely, so its
# conventions (mmcv turns clockwise for a positive angle, ours
# counter-clockwise) do not matter.
_RANDOM_SIGN = dict(random_negative_prob=1.0 - POSITIVE_SIGN_PROB)


def _rotate(op, level, img_shape):
    degrees = op.magnitude_at(level)
    transform = dict(type='Rotate',
                     angle=exact_value(degrees),
                     prob=1.0,
                     interpolation='bilinear',
                     **_RANDOM_SIGN)
    magnitude = f'+/-{num(degrees)} deg'
    return Mapping([transform], magnitude, magnitude)


def _rotate90(op, level, img_shape):
    # Ours turns counter-clockwise: a negative angle for mmcv.
    transform = dict(type='Rotate',
                     angle=-90.0,
                     prob=1.0,
                     random_negative_prob=0.0,
                     interpolation='nearest')
    return Mapping([transform], '+90 deg', '+90 deg')


def _shear(op, level, img_shape):
    factor = op.magnitude_at(level)
    transform = dict(type='Shear',
                     magnitude=exact_value(factor),
                     direction=op.direction,
                     prob=1.0,
                     interpolation='bilinear',
                     **_RANDOM_SIGN)
    magnitude = f'+/-{num(factor)} (shear factor)'
    return Mapping([transform], magnitude, magnitude)


def _translate(op, level, img_shape):
    fraction, side_name, note = translation(op, level, img_shape)
    transform = dict(type='Translate',
                     magnitude=exact_value(fraction),
                     direction=op.direction,
                     prob=1.0,
                     **_RANDOM_SIGN)
    magnitude = f'+/-{num(fraction)} of the {side_name}'
    return Mapping([transform], magnitude, magnitude,
                   f'{op.name}: {note}' if note else '')


def _posterize(op, level, img_shape):
    bits = op.magnitude_at(level)
    transform = dict(type='Posterize', bits=int(bits), prob=1.0)
    return Mapping([transform], f'{bits} bits', f'{bits} bits')


def _solarize(op, level, img_shape):
    threshold = op.magnitude_at(level)
    transform = dict(type='Solarize', thr=exact_value(threshold), prob=1.0)
    magnitude = f'threshold {num(threshold)}'
    return Mapping([transform], magnitude, magnitude)


def _solarize_add(op, level, img_shape):
    addition = op.magnitude_at(level)
    transform = dict(type='SolarizeAdd',
                     magnitude=exact_value(addition),
                     thr=SOLARIZE_ADD_THRESHOLD,
                     prob=1.0)
    magnitude = f'+{num(addition)} below {SOLARIZE_ADD_THRESHOLD}'
    return Mapping([transform], magnitude, magnitude)


def _enhance(op, level, img_shape):
    delta = op.magnitude_at(level)
    transform = dict(type=_NAMES.get(op.name, op.name),
                     magnitude=exact_value(delta),
                     prob=1.0,
                     **_RANDOM_SIGN)
    magnitude = f'factor {num(1 + delta)} / {num(1 - delta)}'
    return Mapping([transform], magnitude, magnitude)


def _cutout(op, level, img_shape):
    height, width = img_shape
    side = cutout_side(op, level, img_shape)
    transform = dict(type='Cutout', shape=side, pad_val=FILL_VALUE, prob=1.0)
    magnitude = f'{side} x {side} px'
    return Mapping([transform], magnitude, magnitude,
                   f'{op.name}: a fixed side in pixels, equal to ours on '
                   f'{height} x {width} (H x W) images only (ours scales '
                   f'with the image); mmcv moves a square that crosses the '
                   f'top or left edge inside the image, ours clips it.')


def _smooth(op, level, img_shape):
    # Sharpness at factor 0 is its blurred image, PIL's SMOOTH filter.
    transform = dict(type='Sharpness',
                     magnitude=-1.0,
                     prob=1.0,
                     random_negative_prob=0.0)
    return Mapping([transform], note=smooth_note(op))


#: CIFAR's 32 x 32, the paper's classification search.
MMPRETRAIN = ExportTarget(
    'mmpretrain', (32, 32), {
        'identity': identity,
        'flip': flip,
        'plain': same_name,
        'smooth': _smooth,
        'rotate90': _rotate90,
        'rotate': _rotate,
        'shear': _shear,
        'translate': _translate,
        'posterize': _posterize,
        'solarize': _solarize,
        'solarize_add': _solarize_add,
        'enhance': _enhance,
        'cutout': _cutout,
    })
