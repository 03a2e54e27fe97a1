"""Models the search tests train: a classifier whose loss can be made NaN
or zero in chosen forward passes."""
from mmpretrain.models import ImageClassifier
from mmpretrain.registry import MODELS


@MODELS.register_module(force=True)
class ScaledLossClassifier(ImageClassifier):
    """An ImageClassifier whose loss is multiplied by a factor (NaN, 0) in
    chosen forward passes: ``factors = {call index: factor}``."""

    factors = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = 0

    def loss(self, inputs, data_samples):
        losses = super().loss(inputs, data_samples)
        if self.calls in self.factors:
            losses['loss'] = losses['loss'] * self.factors[self.calls]
        self.calls += 1
        return losses
