"""Random images and boxes for the ops tests."""
import torch


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
