"""The arms of a policy comparison: what each puts where the retraining
config has its ``DynamicDDASAugment``.

The retraining config's own augmentation (for classification typically a
random crop and flip before the ``DynamicDDASAugment``) stays in every arm
but ``bare``, so that each policy is compared as a user adds it: on top of
the standard augmentation, which ``none`` keeps alone.
"""
import copy
import re
from typing import Dict, List, Optional

# The arms every comparison knows; ``ddas-tp=X`` (a constant p_tp of X, the
# paper's Table 5) comes on top, and an experiment may add its own.
ARMS = ('bare', 'none', 'ddas', 'ddas-fixed', 'ddas-fixed-tp',
        'ddas-fixed-po', 'uniform', 'trivialaugment', 'randaugment',
        'autoaugment')
# The arms that also drop the rest of the train pipeline's random
# transforms: no augmentation at all.
WITHOUT_RANDOM_TRANSFORMS = ('bare', )
CONSTANT_TP = re.compile(r'^ddas-tp=(0(\.\d+)?|1(\.0+)?)$')
# Which replay of the searched schedule each DDAS arm uses.
REPLAYS = {
    'ddas': 'dynamic',
    'ddas-fixed': 'last',
    'ddas-fixed-tp': 'last_p_tp',
    'ddas-fixed-po': 'last_p_o',
    'uniform': 'initial',
}


def library_arm(arm: str, task: str, channel_order: str) -> List[dict]:
    """The libraries' own policies with their standard settings.

    Classification: mmpretrain's RandAugment (timm's rand-m9-mstd0.5) and
    AutoAugment (the ImageNet policy), torchvision's TrivialAugmentWide
    (mmpretrain has none; its ``torchvision/`` wrappers run torchvision's on
    a PIL image), each inside :class:`GreyAsColour` so that greyscale images
    work. Detection: mmdet's AutoAugment (Zoph et al.'s policy v0) and
    RandAugment, which move the boxes; no detection library has a
    box-aware TrivialAugment.

    Args:
        arm (str): 'trivialaugment', 'randaugment' or 'autoaugment'.
        task (str): 'classification' or 'detection'.
        channel_order (str): of the pipeline's images, 'bgr' or 'rgb'.

    Returns:
        list[dict]: transform configs.
    """
    if task == 'detection':
        if arm == 'trivialaugment':
            raise ValueError(
                'Arm trivialaugment: no detection library has a '
                'TrivialAugment that moves boxes; compare it on '
                'classification, or add your own arm (custom_arms).')
        return [dict(type='AutoAugment' if arm == 'autoaugment' else
                     'RandAugment')]
    transforms = {
        'randaugment': [
            dict(type='RandAugment', policies='timm_increasing',
                 num_policies=2, total_level=10, magnitude_level=9,
                 magnitude_std=0.5)
        ],
        'autoaugment': [dict(type='AutoAugment', policies='imagenet')],
        'trivialaugment': [
            dict(type='NumpyToPIL', to_rgb=channel_order == 'bgr'),
            dict(type='torchvision/TrivialAugmentWide'),
            dict(type='PILToNumpy', to_bgr=channel_order == 'bgr'),
        ],
    }[arm]
    return [dict(type='GreyAsColour', transforms=transforms)]


def check_arm(arm: str, custom_arms: Optional[Dict[str, list]] = None) -> None:
    """Raise a ValueError naming the valid arms if ``arm`` is not one."""
    if arm in ARMS or CONSTANT_TP.match(arm) or arm in (custom_arms or {}):
        return
    custom = f', or one of custom_arms {sorted(custom_arms)}' if (
        custom_arms) else ''
    raise ValueError(f'Unknown arm {arm!r}: the arms are {list(ARMS)}, '
                     f"'ddas-tp=X' with X in [0, 1]{custom}.")


def arm_transforms(arm: str,
                   augment: dict,
                   task: str,
                   custom_arms: Optional[Dict[str, list]] = None
                   ) -> List[dict]:
    """What replaces the retraining config's ``DynamicDDASAugment``.

    Args:
        arm (str): the arm's name (see :func:`check_arm`).
        augment (dict): the retraining config's DynamicDDASAugment, with
            the searched policy file.
        task (str): 'classification' or 'detection'.
        custom_arms (dict, optional): an experiment's own arms, name to a
            list of transform configs.

    Returns:
        list[dict]: transform configs, empty for 'none' and 'bare'.
    """
    check_arm(arm, custom_arms)
    if arm in (custom_arms or {}):
        return copy.deepcopy(list(custom_arms[arm]))
    if arm in ('none', 'bare'):
        return []
    if arm in REPLAYS:
        return [dict(augment, replay=REPLAYS[arm])]
    constant = CONSTANT_TP.match(arm)
    if constant:
        return [dict(augment, p_tp=float(constant[1]))]
    return library_arm(arm, task, augment.get('channel_order', 'bgr'))


def replays_the_search(arm: str) -> bool:
    """Whether the arm replays the searched policy (so the search must run
    first): the DDAS arms, ``uniform`` (the search's own starting point)
    and ``ddas-tp=X``."""
    return arm in REPLAYS or bool(CONSTANT_TP.match(arm))
