"""tools/misc/ddas_configs.py: search and retraining configs generated from
model-zoo configs the project does not ship.

Each zoo config gets its data swapped for small generated data (as a user's
config swaps COCO / ImageNet for their own), its pretrained weights dropped
(nothing downloads here) and its image size shrunk for the CPU; then the
generated search runs 2 iterations and the generated retraining 2, through
tools/train.py. Independently of the generator's own rules, the test checks
that the policy sits where the images have the size the search's ops saw:
both pipelines run on the same sample with the same random seed.
"""
import copy
import json
import math
import os
import os.path as osp
import re
import sys

import cv2
import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.registry import DATASETS, init_default_scope
from mmengine.runner import set_random_seed

import ddas_mm  # noqa: F401 (registers the transform and datasets)
from ddas_mm.config_gen import ConfigError, generate_ddas_configs
from ddas_mm.config_gen.source import ConfigSource
from ddas_mm.policy.defaults import POLICY_STEPS
from ddas_mm.testing import load_fashion_mnist, make_coco_detection_set
from tool_runner import run_tool, train

# Each test here trains, or runs a tool in a subprocess.
pytestmark = pytest.mark.slow

DETECTORS = {
    'fcos': 'mmdet::fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py',
    'atss': 'mmdet::atss/atss_r50_fpn_1x_coco.py',
    # two-stage; RepeatDataset and a random multi-scale resize
    'faster-rcnn': 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_ms-3x_coco.py',
    # instance masks
    'mask-rcnn': 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py',
}
# Where each detector's number of classes is set, for the 10 of the data.
CLASS_HEADS = {
    'fcos': dict(bbox_head=dict(num_classes=10)),
    'atss': dict(bbox_head=dict(num_classes=10)),
    'faster-rcnn': dict(roi_head=dict(bbox_head=dict(num_classes=10))),
    'mask-rcnn': dict(roi_head=dict(bbox_head=dict(num_classes=10),
                                    mask_head=dict(num_classes=10))),
}
CLASSIFIERS = {
    'resnet18-cifar': 'mmpretrain::resnet/resnet18_8xb16_cifar10.py',
    'resnet50-in1k': 'mmpretrain::resnet/resnet50_8xb32_in1k.py',
}
CLASSES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal',
           'Shirt', 'Sneaker', 'Bag', 'Ankle boot')
NUM_IMAGES = 8  # S_train 4 + S_val 2; batches of 2 (search) and 4 (retrain)
# Detection images are 96 x 64 and the configs' scales shrink by this much
# (1333 x 800 -> 96 x 58); ImageNet crops shrink from 224 to 64.
DETECTION_SCALE = 96 / 1333
IMAGENET_SCALE = 64 / 224


def _shrunk(pipeline, factor):
    """The pipeline with its resize and crop sizes scaled by ``factor``."""
    out = []
    for transform in pipeline:
        transform = copy.deepcopy(transform)
        for key in ('scale', 'crop_size'):
            if key in transform and transform['type'] != 'Pad':
                transform[key] = _scaled(transform[key], factor)
        out.append(transform)
    return out


def _scaled(size, factor):
    if isinstance(size, int):
        return round(size * factor)
    if all(isinstance(s, int) for s in size):
        return tuple(round(s * factor) for s in size)
    return [_scaled(s, factor) for s in size]


def _zoo_dataset(cfg, loader):
    """The zoo config's dataset with the pipeline, and whether it is wrapped.
    """
    dataset = cfg[loader]['dataset']
    if 'pipeline' in dataset:
        return dataset, False
    return dataset['dataset'], True


def _write_user_config(path, zoo, overrides):
    with open(path, 'w') as f:
        f.write(f'_base_ = [{zoo!r}]\n')
        for key, value in overrides.items():
            f.write(f'{key} = {value!r}\n')
    return str(path)


def detection_user_config(tmp_path, name):
    """A zoo detector on a generated COCO-format set of 8 images, 96 x 64,
    10 classes."""
    zoo = DETECTORS[name]
    root = str(tmp_path / 'det')
    make_coco_detection_set(
        root, num_images=NUM_IMAGES, image_size=(96, 64), object_scale=1)
    cfg = Config.fromfile(ConfigSource(zoo).path)
    train_set, wrapped = _zoo_dataset(cfg, 'train_dataloader')
    test_set, _ = _zoo_dataset(cfg, 'val_dataloader')
    data = dict(
        type='CocoDataset',
        data_root=root,
        ann_file='annotations.json',
        data_prefix=dict(img='images/'),
        metainfo=dict(classes=CLASSES),
        _delete_=True)
    train_data = dict(
        data,
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=_shrunk(train_set.pipeline, DETECTION_SCALE))
    if wrapped:
        train_data = dict(times=1, dataset=train_data)
    loader = dict(num_workers=0, persistent_workers=False)
    val_loader = dict(
        loader,
        dataset=dict(
            data,
            test_mode=True,
            pipeline=_shrunk(test_set.pipeline, DETECTION_SCALE)))
    return _write_user_config(
        tmp_path / 'user_config.py', zoo,
        dict(
            model=dict(backbone=dict(init_cfg=None), **CLASS_HEADS[name]),
            train_dataloader=dict(loader, batch_size=2, dataset=train_data),
            val_dataloader=val_loader,
            test_dataloader=val_loader,
            val_evaluator=dict(ann_file=osp.join(root, 'annotations.json')),
            test_evaluator=dict(ann_file=osp.join(root, 'annotations.json'))))


def classification_user_config(tmp_path, name):
    """A zoo classifier on a folder of 8 generated images of 4 classes
    (Fashion-MNIST items, coloured), read from files as a user's data is."""
    zoo = CLASSIFIERS[name]
    cfg = Config.fromfile(ConfigSource(zoo).path)
    train_set, _ = _zoo_dataset(cfg, 'train_dataloader')
    test_set, _ = _zoo_dataset(cfg, 'val_dataloader')
    small = cfg.train_dataloader.dataset.type == 'CIFAR10'
    side = 32 if small else 80
    root = tmp_path / 'cls'
    images, labels = load_fashion_mnist('test')
    for i in range(NUM_IMAGES):
        label = i % 4
        item = images[np.flatnonzero(labels == label)[i]]
        item = cv2.resize(item, (side, side))
        colour = np.array([60 + 40 * i, 200 - 20 * i, 128], np.float32)
        image = (item[..., None] / 255.0 * colour).astype(np.uint8)
        os.makedirs(root / f'class{label}', exist_ok=True)
        cv2.imwrite(str(root / f'class{label}' / f'{i}.png'), image)
    load = [dict(type='LoadImageFromFile')]
    factor = 1 if small else IMAGENET_SCALE
    # CIFAR pipelines have no loading transform: the data was in memory.
    train_pipeline = (load if small else []) + _shrunk(train_set.pipeline,
                                                       factor)
    test_pipeline = (load if small else []) + _shrunk(test_set.pipeline,
                                                      factor)
    data = dict(type='CustomDataset', data_root=str(root), _delete_=True)
    loader = dict(num_workers=0, persistent_workers=False)
    val_loader = dict(loader, dataset=dict(data, pipeline=test_pipeline))
    return _write_user_config(
        tmp_path / 'user_config.py', zoo,
        dict(
            train_dataloader=dict(
                loader,
                batch_size=2,
                dataset=dict(data, pipeline=train_pipeline)),
            val_dataloader=val_loader,
            test_dataloader=val_loader))


def _retrain_dataset(cfg):
    dataset = cfg.train_dataloader.dataset
    return dataset if 'pipeline' in dataset else dataset.dataset


def assert_policy_at_search_scale(generated):
    """Run S_train's pipeline and the retraining pipeline up to the policy on
    the same sample with the same seed: the images must have one size."""
    search = Config.fromfile(generated.search)
    retrain = Config.fromfile(generated.retrain)
    init_default_scope(retrain.default_scope)
    pipeline = _retrain_dataset(retrain).pipeline
    kinds = [t['type'] for t in pipeline]
    assert kinds.count('DynamicDDASAugment') == 1
    dataset = DATASETS.build(dict(_retrain_dataset(retrain), pipeline=[]))
    for index in range(3):
        sample = dataset[index]
        set_random_seed(index)
        searched = Compose(search.search_train_pipeline)(copy.deepcopy(sample))
        set_random_seed(index)
        before_policy = Compose(pipeline[:kinds.index('DynamicDDASAugment')])(
            copy.deepcopy(sample))
        assert tuple(searched['inputs'].shape[-2:]) == tuple(
            before_policy['img'].shape[:2])
    # S_train is the retraining pipeline without the policy: the standard
    # augmentation (the flip, after the policy in retraining) included.
    search_kinds = [t['type'] for t in search.search_train_pipeline]
    assert search_kinds == [k for k in kinds if k != 'DynamicDDASAugment']
    assert kinds.index('RandomFlip') > kinds.index('DynamicDDASAugment')


def _iterations(checkpoint):
    return torch.load(checkpoint, map_location='cpu',
                      weights_only=False)['meta']['iter']


@pytest.mark.parametrize('name', list(DETECTORS) + list(CLASSIFIERS))
def test_generated_configs_search_and_retrain(tmp_path, name):
    user_config = (detection_user_config(tmp_path, name) if name in DETECTORS
                   else classification_user_config(tmp_path, name))
    search_dir = tmp_path / 'search'
    generated = generate_ddas_configs(
        user_config,
        out_dir=str(tmp_path / 'generated'),
        num_train=4,
        num_val=2,
        epochs=1,
        policy=str(search_dir / 'ddas_policy.json'))
    assert_policy_at_search_scale(generated)
    # Validation (once, at the end of the search) is not what is tested.
    train(generated.search, search_dir, '--cfg-options',
          'train_cfg.val_interval=2')
    with open(search_dir / 'ddas_policy.json') as f:
        assert len(json.load(f)['epochs']) == 1
    assert _iterations(search_dir / 'epoch_1.pth') == 2
    retrain_dir = tmp_path / 'retrain'
    train(generated.retrain, retrain_dir, '--cfg-options',
          'train_cfg.max_epochs=1', 'train_cfg.val_interval=2',
          'train_dataloader.batch_size=4')
    assert _iterations(retrain_dir / 'epoch_1.pth') == 2


def test_search_settings_follow_the_task(tmp_path):
    cifar = Config.fromfile(
        generate_ddas_configs(CLASSIFIERS['resnet18-cifar'],
                              out_dir=str(tmp_path / 'cifar')).search)
    in1k = Config.fromfile(
        generate_ddas_configs(CLASSIFIERS['resnet50-in1k'],
                              out_dir=str(tmp_path / 'in1k')).search)
    atss = Config.fromfile(
        generate_ddas_configs(DETECTORS['atss'],
                              out_dir=str(tmp_path / 'atss')).search)
    assert [c.train_cfg.space.preset
            for c in (cifar, in1k, atss)] == ['cifar', 'imagenet', 'coco']
    # mmpretrain's CIFAR10 holds RGB arrays; files load as BGR.
    assert [c.train_cfg.channel_order
            for c in (cifar, in1k, atss)] == ['rgb', 'bgr', 'bgr']
    # The paper's proxy tasks: CIFAR 2000 / 2000, COCO 3000 / 1500.
    assert (cifar.proxy.num_train, cifar.proxy.num_val) == (2000, 2000)
    assert (atss.proxy.num_train, atss.proxy.num_val) == (3000, 1500)
    # ATSS: 12 epochs, steps at 8 and 11 -> 30 search epochs, 20 and 28.
    steps = [s for s in atss.param_scheduler if s.type == 'MultiStepLR'][0]
    assert (steps.end, steps.milestones) == (30, [20, 28])
    # The paper's lengths, where they reach its policy steps: 30 epochs of
    # 3000 / 2 for ATSS, 20 of ceil(2000 / 16) for CIFAR.
    assert (atss.train_cfg.max_epochs, cifar.train_cfg.max_epochs) == (30, 20)
    # A small proxy split gets the epochs for the same policy steps: 100
    # images in batches of 16 are 7 steps an epoch.
    small = Config.fromfile(
        generate_ddas_configs(CLASSIFIERS['resnet18-cifar'], num_train=100,
                              out_dir=str(tmp_path / 'small')).search)
    batches = math.ceil(100 / small.train_dataloader.batch_size)
    assert small.train_cfg.max_epochs == math.ceil(POLICY_STEPS / batches)
    assert (small.train_cfg.max_epochs - 1) * batches < POLICY_STEPS
    # Boxes load before the resize in S_val, so they are at image scale.
    kinds = [t['type'] for t in atss.search_val_pipeline]
    assert kinds.index('LoadAnnotations') < kinds.index('Resize')
    # The generated configs inherit the zoo config: nothing copied of the
    # model.
    with open(generate_ddas_configs(DETECTORS['atss'],
                                    out_dir=str(tmp_path / 'atss')).search) \
            as f:
        text = f.read()
    assert "_base_ = ['mmdet::atss/atss_r50_fpn_1x_coco.py']" in text
    assert 'ATSSHead' not in text
    # Seeded (the zoo configs set no seed), so that --resume repeats it.
    assert [c.randomness.get('seed')
            for c in (cifar, in1k, atss)] == [0, 0, 0]


def _assert_names_line(message, expected_text):
    """The error names a file and line that holds ``expected_text``."""
    match = re.search(r'at (\S+?):(\d+):', message)
    assert match, message
    with open(match.group(1)) as f:
        line = f.readlines()[int(match.group(2)) - 1]
    assert expected_text in line.replace(' ', '')


def test_adamw_stops_with_the_line_and_fix(tmp_path):
    zoo = 'mmdet::detr/detr_r50_8xb2-150e_coco.py'
    result = run_tool([
        sys.executable, 'tools/misc/ddas_configs.py', zoo, '--out-dir',
        str(tmp_path)
    ], check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    _assert_names_line(result.stderr, "type='AdamW'")
    assert '--sgd-lr' in result.stderr
    # The fix works: the search uses SGD, the retraining keeps AdamW.
    generated = generate_ddas_configs(zoo, out_dir=str(tmp_path), sgd_lr=0.01)
    optimizer = Config.fromfile(generated.search).optim_wrapper.optimizer
    assert (optimizer.type, optimizer.lr) == ('SGD', 0.01)
    assert Config.fromfile(
        generated.retrain).optim_wrapper.optimizer.type == 'AdamW'


def test_unknown_dataset_wrapper_stops(tmp_path):
    # The proxy split takes a dataset or a ConcatDataset of datasets, not
    # of wrapped ones.
    leaf = dict(type='CocoDataset', pipeline=[])
    user_config = _write_user_config(
        tmp_path / 'concat.py', DETECTORS['atss'],
        dict(train_dataloader=dict(dataset=dict(
            type='ConcatDataset', _delete_=True, datasets=[
                leaf, dict(type='RepeatDataset', times=2, dataset=leaf)]))))
    with pytest.raises(ConfigError, match='ConcatDataset') as error:
        generate_ddas_configs(user_config, out_dir=str(tmp_path / 'out'))
    _assert_names_line(str(error.value), "'ConcatDataset'")
