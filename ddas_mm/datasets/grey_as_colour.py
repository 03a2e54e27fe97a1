"""GreyAsColour: run colour image transforms on greyscale images."""
from typing import List, Optional

import numpy as np
from mmcv.transforms import BaseTransform, Compose
from mmengine.registry import TRANSFORMS


@TRANSFORMS.register_module()
class GreyAsColour(BaseTransform):
    """Run transforms written for (H, W, 3) images on an (H, W) one.

    Many library augmentations (mmpretrain's RandAugment and AutoAugment
    among them) convert to grey with OpenCV, which refuses an image that
    already is. The wrapper repeats the grey channel three times, runs the
    transforms and keeps the first channel: the colour ops leave equal
    channels equal, so this is exact. Colour images pass through unchanged.

    Required Keys:

    - img (np.uint8, (H, W) or (H, W, C))

    Modified Keys:

    - img, and whatever the transforms modify

    Args:
        transforms (list[dict]): the wrapped transforms' configs.
    """

    def __init__(self, transforms: List[dict]):
        self.transforms = Compose(transforms)

    def transform(self, results: dict) -> Optional[dict]:
        """Run the transforms, on three equal channels if the image is grey.

        Args:
            results (dict): the pipeline's results.

        Returns:
            dict | None: the results, or None if a transform dropped them.
        """
        grey = results['img'].ndim == 2
        if grey:
            results['img'] = np.repeat(results['img'][..., None], 3, axis=2)
        results = self.transforms(results)
        if grey and results is not None:
            results['img'] = np.ascontiguousarray(results['img'][..., 0])
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(transforms={self.transforms})'
