"""Named constants of the augmentation ops, each with its source.

Sources:

- RandAugment: Cubuk et al., "RandAugment: Practical automated data
  augmentation with a reduced search space", 2020, with the magnitude ranges
  of mmpretrain 1.2's ``RANDAUG_POLICIES['timm_increasing']``
  (``mmpretrain/datasets/transforms/auto_augment.py``).
- Zoph et al.: "Learning Data Augmentation Strategies for Object Detection",
  2019, with the hyper-parameters of its released code
  (tensorflow/tpu ``models/official/detection/utils/autoaugment_utils.py``).
- PIL: Pillow's ``ImageOps``, ``ImageEnhance`` and ``ImageFilter``, the
  reference semantics of the colour ops of AutoAugment and RandAugment.
"""

# N_o, the ops of a policy (the paper, §3.5: 2); the default of a search
# space, and of a search through ddas_mm.policy.defaults.NUM_OPS.
NUM_OPS = 2

# Levels are integers 0..MAX_LEVEL (RandAugment and Zoph et al.: 10).
MAX_LEVEL = 10

# Value of the pixels a geometric op or a cutout uncovers (Zoph et al.:
# replace_value=[128, 128, 128]; mmdet's and mmpretrain's default pad 128).
FILL_VALUE = 128

# Rotate: up to 30 degrees (RandAugment Rotate (0, 30); Zoph et al.
# _rotate_level_to_arg: level / 10 * 30).
ROTATE_MAX_DEGREES = 30.0

# Shear factor (the tangent, not an angle): up to 0.3 (RandAugment Shear
# (0, 0.3); Zoph et al. _shear_level_to_arg: level / 10 * 0.3).
SHEAR_MAX = 0.3

# Translate (classification): up to 0.45 of the image side (RandAugment
# Translate (0, 0.45), a fraction of the width / height).
TRANSLATE_MAX_FRACTION = 0.45

# Zoph et al.'s pixel constants below are pixels of the images their
# pipeline augments: COCO's own images, before the resize to the training
# size (retinanet_parser.py calls distort_image_with_autoaugment first), and
# COCO's images are 640 pixels on their longer side. Our search and replay
# apply the ops after the config's Resize, so an op scales these constants
# by (longer side of the image it gets) / 640: at mmdet's 1333 x 800 a
# 640 x 480 COCO image is 1067 x 800 and every pixel constant grows by 5/3,
# so the ops change the same part of the image as Zoph et al.'s do.
ZOPH_REFERENCE_LONG_SIDE = 640

# TranslateX/Y_BBox: up to 250 reference pixels (Zoph et al.
# translate_const=250).
TRANSLATE_BBOX_MAX_PIXELS = 250

# TranslateX/Y_Only_BBoxes: up to 120 reference pixels inside the box (Zoph
# et al. translate_bbox_const=120).
TRANSLATE_ONLY_BBOXES_MAX_PIXELS = 120

# Color, Contrast, Brightness, Sharpness: enhancement factor 1 +- 0.9 at
# level 10 (RandAugment (0, 0.9) with a random sign). Zoph et al. map the
# level onto the same factor range [0.1, 1.9] without a sign.
ENHANCE_MAX_DELTA = 0.9

# Posterize keeps 4 bits at level 0 and 0 bits at level 10 (RandAugment
# Posterize (4, 0), rounded up; Zoph et al. use the same 0..4 bits).
POSTERIZE_MAX_BITS = 4

# Solarize inverts the pixels >= threshold; the threshold goes from 256
# (nothing) at level 0 to 0 (everything) at level 10 (RandAugment Solarize
# (256, 0); Zoph et al. use the same 0..256 range).
SOLARIZE_MAX_THRESHOLD = 256

# SolarizeAdd adds up to 110 to the pixels below 128 (RandAugment SolarizeAdd
# (0, 110); Zoph et al. int(level / 10 * 110), threshold=128).
SOLARIZE_ADD_MAX = 110
SOLARIZE_ADD_THRESHOLD = 128

# Cutout (classification): a square whose side is up to 0.2 of the image's
# shorter side (the Cutout range (0, 0.2) of RandAugment's PyTorch op list,
# which Fast AutoAugment and DADA use on CIFAR).
CUTOUT_MAX_FRACTION = 0.2

# Cutout_Det (Zoph et al.'s detection Cutout): a square of side 2 * pad, pad
# up to 100 reference pixels (cutout_const=100), centred anywhere.
CUTOUT_DET_MAX_PAD = 100

# Cutout_Only_BBoxes: a square of side 2 * pad, pad up to 50 reference pixels
# (Zoph et al. cutout_bbox_const=50).
CUTOUT_ONLY_BBOXES_MAX_PAD = 50

# BBox_Cutout: a rectangle of up to 0.75 of the chosen box's height and width
# (Zoph et al. cutout_max_pad_fraction=0.75), filled with FILL_VALUE
# (cutout_bbox_replace_with_mean=False).
BBOX_CUTOUT_MAX_PAD_FRACTION = 0.75

# Probability that an _Only_BBoxes op changes a given box. Zoph et al. divide
# the op's probability by 3 (_scale_bbox_only_op_probability); when DDAS
# applies an op, the op's own probability is 1, hence 1/3.
BBOX_ONLY_PROB = 1.0 / 3.0

# Probability of the positive direction of a symmetric op when no sign is
# given (RandAugment random_negative_prob=0.5; Zoph et al.
# _randomly_negate_tensor).
POSITIVE_SIGN_PROB = 0.5

# Luma weights per channel order, ITU-R BT.601 (0.299 R + 0.587 G + 0.114 B)
# in PIL's 16-bit fixed point (convert('L'): (19595 R + 38470 G + 7471 B +
# 2**15) >> 16): the grey image of Color and Contrast.
GRAY_WEIGHTS_FIXED_POINT = {
    'rgb': (19595, 38470, 7471),
    'bgr': (7471, 38470, 19595)
}
GRAY_FIXED_POINT_BITS = 16

# PIL ImageFilter.SMOOTH: the Smooth op and the blurred image that Sharpness
# extrapolates from (PIL ImageEnhance.Sharpness).
# yapf: disable
SMOOTH_KERNEL = ((1, 1, 1),
                 (1, 5, 1),
                 (1, 1, 1))
SMOOTH_KERNEL_SCALE = 13

# PIL ImageFilter.BLUR: the Blur op.
BLUR_KERNEL = ((1, 1, 1, 1, 1),
               (1, 0, 0, 0, 1),
               (1, 0, 0, 0, 1),
               (1, 0, 0, 0, 1),
               (1, 1, 1, 1, 1))
# yapf: enable
BLUR_KERNEL_SCALE = 16
# A box narrower or lower than this many pixels after an op carries no
# object: callers drop it with its labels (ddas_mm's rule, shared by the
# search loop and the replay transform).
MIN_BOX_SIZE = 1.0
