"""ddas_mm: Direct Differentiable Augmentation Search as an OpenMMLab plugin.

Importing the package (``custom_imports=dict(imports=['ddas_mm'])``) registers
its loops, hooks, transforms, datasets and models in mmengine's root
registries, so configs find them under ``default_scope='mmdet'`` and
``default_scope='mmpretrain'`` alike.
"""
from . import datasets, engine, models, ops, policy, utils  # noqa: F401
from .version import __version__

__all__ = ['__version__']
