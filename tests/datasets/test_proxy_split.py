"""ProxySplit: disjoint, seeded S_train / S_val subsets of real datasets."""
import numpy as np
import pytest
from mmdet.datasets import CocoDataset
from mmengine.dataset import BaseDataset, ConcatDataset
from mmengine.registry import DefaultScope, init_default_scope
from mmpretrain.datasets import FashionMNIST

from ddas_mm.datasets import ProxySplit
from ddas_mm.testing import fashion_mnist_root, make_coco_detection_set
from ddas_mm.testing.toy_data import FASHION_MNIST_CLASSES


@pytest.fixture(scope='module')
def fashion():
    # mmpretrain 1.2's MNIST datasets pick the file by test_mode, not split;
    # its transforms are found in its scope, whatever an earlier test set.
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return FashionMNIST(
            data_root=fashion_mnist_root(), data_prefix='', test_mode=True,
            download=False, pipeline=[dict(type='PackInputs')])


def _split(dataset, split, **kwargs):
    kwargs = dict(dict(num_train=300, num_val=200, seed=0), **kwargs)
    return ProxySplit(dataset, split, **kwargs)


def test_disjoint_sizes_and_same_images(fashion):
    train, val = _split(fashion, 'train'), _split(fashion, 'val')
    assert (len(train), len(val)) == (300, 200)
    assert not set(train.indices) & set(val.indices)
    for j in (0, 123, 299):
        expected = fashion.get_data_info(train.indices[j])
        info = train.get_data_info(j)
        np.testing.assert_array_equal(info['img'], expected['img'])
        assert info['gt_label'] == expected['gt_label']
    assert isinstance(train.dataset, FashionMNIST)
    assert train.metainfo['classes'] == fashion.metainfo['classes']
    assert train[0]['data_samples'].gt_label.item() == train.get_data_info(
        0)['gt_label']


def test_subset_pipeline_is_its_own(fashion):
    """mmengine's get_subset deep-copies with a memo shared by every call: a
    freed dataset's id, given to the pipeline of a later one, made that
    pipeline the old dataset's copy. Here the id collision is set up by
    hand: an entry for the id of this dataset's pipeline."""
    shared_memo = BaseDataset._copy_without_annotation.__defaults__[0]
    shared_memo[id(fashion.pipeline)] = 'a copy made by an earlier get_subset'
    train = _split(fashion, 'train')
    assert type(train.dataset.pipeline) is type(fashion.pipeline)
    assert train.dataset.pipeline is not fashion.pipeline
    assert not shared_memo  # nothing kept alive after the split


def test_seed_decides_the_split(fashion):
    first = _split(fashion, 'train').indices
    assert _split(fashion, 'train').indices == first  # every process/run
    assert _split(fashion, 'train', seed=1).indices != first


def test_per_class_split(fashion):
    """The paper's ImageNet proxy: drawn classes, n images of each."""
    kwargs = dict(num_classes=3, num_train=50, num_val=20, seed=3)
    train, val = _split(fashion, 'train', **kwargs), _split(
        fashion, 'val', **kwargs)
    train_labels = [fashion.get_cat_ids(i)[0] for i in train.indices]
    val_labels = [fashion.get_cat_ids(i)[0] for i in val.indices]
    classes, counts = np.unique(train_labels, return_counts=True)
    assert len(classes) == 3 and set(counts) == {50}
    assert set(val_labels) == set(classes)
    assert set(np.unique(val_labels, return_counts=True)[1]) == {20}
    assert not set(train.indices) & set(val.indices)


def test_detection_dataset_from_config(tmp_path):
    init_default_scope('mmdet')  # as a Runner with an mmdet config does
    ann_file = make_coco_detection_set(str(tmp_path), num_images=8)
    base = dict(
        type='CocoDataset',
        data_root=str(tmp_path),
        ann_file=ann_file,
        data_prefix=dict(img='images/'),
        metainfo=dict(classes=FASHION_MNIST_CLASSES),
        pipeline=[])
    train = ProxySplit(base, 'train', num_train=5, num_val=3)
    val = ProxySplit(base, 'val', num_train=5, num_val=3)
    assert isinstance(train.dataset, CocoDataset)
    assert (len(train), len(val)) == (5, 3)
    paths = {train.get_data_info(i)['img_path'] for i in range(5)}
    assert not paths & {val.get_data_info(i)['img_path'] for i in range(3)}
    assert len(train.get_data_info(0)['instances']) >= 1



def test_concatenated_datasets_split_as_one(tmp_path):
    """A ConcatDataset (VOC07 + VOC12) is split over all its images; the
    subset is a ConcatDataset of the parts of its datasets."""
    init_default_scope('mmdet')
    parts = []
    for name, count in (('a', 4), ('b', 6)):
        make_coco_detection_set(str(tmp_path / name), num_images=count,
                                seed=count)
        parts.append(dict(type='CocoDataset', data_root=str(tmp_path / name),
                          ann_file='annotations.json',
                          data_prefix=dict(img='images/'),
                          metainfo=dict(classes=FASHION_MNIST_CLASSES),
                          pipeline=[]))
    concat = dict(type='ConcatDataset', datasets=parts)
    whole = ConcatDataset(parts)
    train = ProxySplit(concat, 'train', num_train=6, num_val=3)
    val = ProxySplit(concat, 'val', num_train=6, num_val=3)
    assert isinstance(train.dataset, ConcatDataset)
    assert (len(train), len(val)) == (6, 3)
    assert not set(train.indices) & set(val.indices)
    for split in (train, val):
        for j, index in enumerate(split.indices):
            assert split.get_data_info(j)['img_path'] == \
                whole.get_data_info(index)['img_path']
    # Both datasets give images to the split.
    assert {i < 4 for i in train.indices + val.indices} == {True, False}


def test_bad_arguments(fashion):
    with pytest.raises(ValueError, match="split must be one of"):
        ProxySplit(fashion, 'test', num_train=1, num_val=1)
    with pytest.raises(ValueError, match='fewer than num_train \\+ num_val'):
        ProxySplit(fashion, 'train', num_train=9000, num_val=2000)
    with pytest.raises(ValueError, match='num_val must be an integer >= 1'):
        ProxySplit(fashion, 'train', num_train=10, num_val=0)
    with pytest.raises(ValueError, match='dataset has 10 classes'):
        ProxySplit(fashion, 'train', num_train=1, num_val=1, num_classes=11)
    with pytest.raises(TypeError, match='BaseDataset'):
        ProxySplit(list(range(10)), 'train', num_train=1, num_val=1)
    assert isinstance(fashion, BaseDataset)
