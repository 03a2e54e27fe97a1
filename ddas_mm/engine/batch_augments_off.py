"""S_val batches without the model's batch augments.

mmpretrain's and mmdet's data preprocessors run their ``batch_augments``
(Mixup, CutMix, BatchSyncRandomResize, BatchFixedSizePad ...) on every batch
they get with ``training=True``, and the search needs ``training=True`` for
its validation batches too (mmdet pads masks and semantic maps to the batch
only then). S_val is the config's test pipeline: its loss must see the test
images and labels, not mixed labels or a random scale.
"""
from contextlib import contextmanager

# What each attribute is set to while the batch augments are off:
# mmpretrain turns on one-hot scores for its batch augments, which without
# them would stay integer scores that its losses refuse; the labels serve.
OFF = {'batch_augments': None, 'to_onehot': False}


@contextmanager
def without_batch_augments(data_preprocessor):
    """Run the block with the data preprocessor's batch augments off.

    Args:
        data_preprocessor: the model's data preprocessor; one without
            ``batch_augments`` is left alone.

    Yields:
        The data preprocessor.
    """
    if getattr(data_preprocessor, 'batch_augments', None) is None:
        yield data_preprocessor
        return
    saved = {name: getattr(data_preprocessor, name)
             for name in OFF if hasattr(data_preprocessor, name)}
    for name in saved:
        setattr(data_preprocessor, name, OFF[name])
    try:
        yield data_preprocessor
    finally:
        for name, value in saved.items():
            setattr(data_preprocessor, name, value)
