"""tools/misc/ddas_configs.py on one zoo config of each family of pipeline,
dataset wrapper, hook and schedule: generated, then one search step and one
retraining step on a few generated images (CPU, small image scale, small
backbones, no pretrained weights), with the policy checked where the search
applied its ops: by the transform before it, and, independently of the
generator's rules, by running S_train's pipeline and the retraining's up to
the policy on the same samples with the same seeds.

Each zoo config gets its data swapped for small generated data in its own
wrappers (RepeatDataset of a ConcatDataset, MultiImageMixDataset ...), as a
user's config swaps COCO or ImageNet for theirs, its image sizes shrunk and
a large backbone swapped for a small one. The search settings the generator
takes from the task, and the zoo configs it stops at, without training:
tests/config_gen/test_ddas_configs.py.
"""
import copy
import math
import os
import os.path as osp
import re
import sys
import types

import cv2
import numpy as np
import pytest
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.registry import DATASETS, init_default_scope
from mmengine.runner import Runner, set_random_seed

import ddas_mm  # noqa: F401 (registers the transform and datasets)
from ddas_mm.config_gen import ConfigError, generate_ddas_configs
from ddas_mm.config_gen import roles as R
from ddas_mm.config_gen.pipeline_rules import IMAGE_LOADERS
from ddas_mm.config_gen.source import ConfigSource
from ddas_mm.config_gen.walker import (dataset_paths, inner_datasets,
                                       leaf_datasets, train_paths)
from ddas_mm.config_text import type_name
from ddas_mm.testing import (load_fashion_mnist, make_coco_detection_set,
                             make_coco_panoptic_set, write_child_config)
from ddas_mm.testing.toy_data import FASHION_MNIST_CLASSES

pytestmark = pytest.mark.slow

NUM_IMAGES = 4  # the search's split takes 1 + 1 (Mosaic draws from more)
# Transform options that are image sizes.
SIZE_KEYS = ('scale', 'scales', 'crop_size', 'img_scale', 'size', 'border',
             'random_size_range')


class Family:
    """A zoo config and what its generated configs must show.

    Args:
        zoo (str): the config.
        before_policy (str): the transform right before the policy in every
            retraining pipeline.
        factor (float): image sizes scaled by this.
        sgd_lr (float, optional): for an optimizer other than SGD.
        model (dict, optional): model options for small images and a small
            backbone (with the neck or head channels it needs); the
            backbone loads no pretrained weights anyway.
    """

    def __init__(self, zoo, before_policy, factor, sgd_lr=None, model=None):
        self.zoo = zoo
        self.before_policy = before_policy
        self.factor = factor
        self.sgd_lr = sgd_lr
        self.model = model or {}


COCO_SCALE = 96 / 1333  # 1333 x 800 -> 96 x 58
# Small backbones: each family is here for its pipeline, dataset wrapper,
# hook or schedule, which the backbone does not change.
RESNET18_FPN = dict(backbone=dict(depth=18),
                    neck=dict(in_channels=[64, 128, 256, 512]))
FAMILIES = {
    # the 1x detectors' pipeline: one resize (1333 x 800), then a flip; a
    # caffe-style backbone (no data preprocessor's RGB conversion) and an
    # FPN from the second stage on (start_level 1)
    'fcos': Family('mmdet::fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py',
                   'Resize', COCO_SCALE, model=RESNET18_FPN),
    # the same pipeline; a one-stage head with its own assigner, the 1x
    # step schedule (steps at 8 and 11 of 12 epochs)
    'atss': Family('mmdet::atss/atss_r50_fpn_1x_coco.py', 'Resize',
                   COCO_SCALE, model=RESNET18_FPN),
    # a random multi-scale resize (RandomResize); the 3x schedule as 12
    # epochs of a RepeatDataset (times 3); two-stage
    'faster-rcnn-ms-3x': Family(
        'mmdet::faster_rcnn/faster-rcnn_r50_fpn_ms-3x_coco.py',
        'RandomResize', COCO_SCALE, model=RESNET18_FPN),
    # instance masks, loaded with the boxes (they move with every resize)
    'mask-rcnn': Family('mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py',
                        'Resize', COCO_SCALE, model=RESNET18_FPN),
    # an in-memory dataset of RGB arrays, its pipelines without a loading
    # transform (the generated files get one); a padded 32 px crop
    'resnet18-cifar': Family('mmpretrain::resnet/resnet18_8xb16_cifar10.py',
                             'RandomCrop', 1),
    # ImageNet's RandomResizedCrop and ResizeEdge + CenterCrop test
    # pipeline, the multi-step schedule (ResNet-18's widths)
    'resnet50-in1k': Family(
        'mmpretrain::resnet/resnet50_8xb32_in1k.py', 'RandomResizedCrop',
        64 / 224, model=dict(backbone=dict(depth=18),
                             head=dict(in_channels=512))),
    # photometric distortion after the resize; a fixed 300 x 300 input
    # (VGG11's conv4_2 and fc7 in place of VGG16's conv4_3 and fc7)
    'ssd300': Family('mmdet::ssd/ssd300_coco.py', 'Resize', 1,
                     model=dict(backbone=dict(depth=11,
                                              out_feature_indices=(14, 24)))),
    # the same kind of pipeline; MobileNetV2 in place of Darknet-53 as in
    # mmdet's yolov3_mobilenetv2 configs
    'yolov3': Family(
        'mmdet::yolo/yolov3_d53_8xb8-320-273e_coco.py', 'Resize', 0.2,
        model=dict(
            backbone=dict(_delete_=True, type='MobileNetV2',
                          out_indices=(2, 4, 6),
                          act_cfg=dict(type='LeakyReLU',
                                       negative_slope=0.1)),
            neck=dict(in_channels=[320, 96, 32], out_channels=[96, 96, 96]),
            bbox_head=dict(in_channels=[96, 96, 96],
                           out_channels=[96, 96, 96]))),
    # MultiImageMixDataset, a warm-up in epochs, batch augments
    'yolox': Family('mmdet::yolox/yolox_s_8xb8-300e_coco.py', 'Pad', 0.1,
                    sgd_lr=0.01),
    # ConcatDataset inside RepeatDataset
    'faster-rcnn-voc': Family(
        'mmdet::pascal_voc/faster-rcnn_r50_fpn_1x_voc0712.py', 'Resize',
        96 / 1000, model=RESNET18_FPN),
    # CachedMosaic / CachedMixUp, PipelineSwitchHook, AdamW
    'rtmdet': Family('mmdet::rtmdet/rtmdet_tiny_8xb32-300e_coco.py', 'Pad',
                     0.1, sgd_lr=0.01),
    # the resize inside RandomChoice
    'detr': Family('mmdet::detr/detr_r50_8xb2-150e_coco.py', 'RandomChoice',
                   COCO_SCALE, sgd_lr=0.01,
                   model=dict(backbone=dict(depth=18),
                              neck=dict(in_channels=[512]))),
    # RandAugment, RandomErasing, Mixup / CutMix batch augments, AdamW
    # (one block a stage, Swin-T's widths)
    'swin': Family('mmpretrain::swin_transformer/swin-tiny_16xb64_in1k.py',
                   'RandomResizedCrop', 64 / 224, sgd_lr=0.1,
                   model=dict(backbone=dict(
                       arch=dict(_delete_=True, embed_dims=96,
                                 depths=[1, 1, 1, 1],
                                 num_heads=[3, 6, 12, 24]),
                       pad_small_map=True))),
    # (one layer, DeiT-S's width)
    'deit': Family('mmpretrain::deit/deit-small_4xb256_in1k.py',
                   'RandomResizedCrop', 64 / 224, sgd_lr=0.1,
                   model=dict(backbone=dict(arch=dict(
                       _delete_=True, embed_dims=384, num_layers=1,
                       num_heads=6, feedforward_channels=1536)))),
    # StepLR by one epoch
    'mobilenet-v2': Family(
        'mmpretrain::mobilenet_v2/mobilenet-v2_8xb32_in1k.py',
        'RandomResizedCrop', 64 / 224),
    # AdamW with weight decay 0.3 (one layer, ViT-B's width)
    'vit': Family('mmpretrain::vision_transformer/vit-base-p16_64xb64_in1k.py',
                  'RandomResizedCrop', 64 / 224, sgd_lr=0.1,
                  model=dict(backbone=dict(arch=dict(
                      _delete_=True, embed_dims=768, num_layers=1,
                      num_heads=12, feedforward_channels=3072)))),
}
# Boxes, masks and a semantic map of things and stuff; its test pipeline
# loads them after the resize (test_panoptic_fpn_searches_and_retrains).
PANOPTIC = Family('mmdet::panoptic_fpn/panoptic-fpn_r50_fpn_1x_coco.py',
                  'Resize', COCO_SCALE, model=RESNET18_FPN)


def shrunk(node, factor):
    """A config value with the image sizes of its transforms scaled."""
    if isinstance(node, dict):
        return {
            key: (_scaled(value, factor) if key in SIZE_KEYS and
                  'type' in node else shrunk(value, factor))
            for key, value in node.items()
        }
    if isinstance(node, (list, tuple)):
        return type(node)(shrunk(v, factor) for v in node)
    return node


def _scaled(size, factor):
    if isinstance(size, (int, float)) and not isinstance(size, bool):
        return int(round(size * factor))
    if isinstance(size, (list, tuple)):
        return type(size)(_scaled(s, factor) for s in size)
    return size


def _from_files(pipeline):
    """A leaf dataset's pipeline made to read the generated data, which is
    image files: with ``LoadImageFromFile`` first where no transform loads
    the image (mmpretrain's CIFAR10 holds its images in memory, and its
    pipelines load nothing)."""
    if any(type_name(t) in IMAGE_LOADERS for t in pipeline):
        return pipeline
    return [dict(type='LoadImageFromFile')] + list(pipeline)


def _with_data(dataset, data, factor):
    """The zoo's training dataset config with each dataset it wraps
    replaced by ``data`` (its pipeline shrunk and reading files), each
    wrapper kept."""
    dataset = copy.deepcopy(dataset)
    if dataset.get('type') == 'RepeatDataset':
        dataset['times'] = 1
    inner = inner_datasets(dataset, ())
    if not inner:
        return dict(data, pipeline=_from_files(
            shrunk(dataset['pipeline'], factor)))
    if 'pipeline' in dataset:
        dataset['pipeline'] = shrunk(dataset['pipeline'], factor)
    if 'datasets' in dataset:
        dataset['datasets'] = [_with_data(d, data, factor)
                               for _, d in inner]
    else:
        dataset['dataset'] = _with_data(dataset['dataset'], data, factor)
    return dataset


def _first(model, key):
    """The first value of ``key`` in a model config."""
    if isinstance(model, dict):
        if key in model:
            return model[key]
        found = [_first(v, key) for v in model.values()]
        return next((n for n in found if n), None)
    return None


def _padded(names, number, prefix):
    """``names`` and unused names after them, ``number`` in all."""
    return tuple(names) + tuple(f'{prefix}{i}'
                                for i in range(len(names), number))


def _detection_data(root, num_classes):
    """4 generated images of Fashion-MNIST items, 96 x 64, with as many
    class names as the detector's heads (mmdet checks it), the first 10
    the items'."""
    make_coco_detection_set(root, num_images=NUM_IMAGES, image_size=(96, 64),
                            object_scale=1)
    classes = _padded(FASHION_MNIST_CLASSES, num_classes, 'unused')
    return dict(type='CocoDataset', data_root=root,
                ann_file='annotations.json', data_prefix=dict(img='images/'),
                metainfo=dict(classes=classes),
                filter_cfg=dict(filter_empty_gt=True))


def _panoptic_data(root, num_things, num_stuff):
    """The images of :func:`_detection_data` as a panoptic set: the items
    things, the photograph around them stuff, with as many thing and
    stuff class names as the panoptic heads, in the order of their
    labels."""
    thing_classes = _padded(FASHION_MNIST_CLASSES, num_things, 'unused')
    stuff_classes = _padded(('background', ), num_stuff, 'unused-stuff')
    make_coco_panoptic_set(root, num_images=NUM_IMAGES, image_size=(96, 64),
                           object_scale=1, thing_classes=thing_classes,
                           stuff_classes=stuff_classes)
    return dict(type='CocoPanopticDataset', data_root=root,
                ann_file='panoptic.json',
                data_prefix=dict(img='images/', seg='panoptic/'),
                metainfo=dict(classes=thing_classes + stuff_classes,
                              thing_classes=thing_classes,
                              stuff_classes=stuff_classes),
                filter_cfg=dict(filter_empty_gt=True))


def _classification_data(root, side):
    """A folder of 4 coloured Fashion-MNIST items of 2 classes, ``side``
    pixels square."""
    images, labels = load_fashion_mnist('test')
    for i in range(NUM_IMAGES):
        label = i % 2
        item = cv2.resize(images[np.flatnonzero(labels == label)[i]],
                          (side, side))
        colour = np.array([60 + 40 * i, 200 - 20 * i, 128], np.float32)
        os.makedirs(osp.join(root, f'class{label}'), exist_ok=True)
        cv2.imwrite(osp.join(root, f'class{label}', f'{i}.png'),
                    (item[..., None] / 255.0 * colour).astype(np.uint8))
    return dict(type='CustomDataset', data_root=root)


def _generated_data(root, zoo):
    """Generated data of the kind of the zoo config's training set."""
    model = zoo['model']
    train_set = leaf_datasets(zoo['train_dataloader']['dataset'])[0]
    if train_set['type'] == 'CocoPanopticDataset':
        return _panoptic_data(root, _first(model, 'num_things_classes'),
                              _first(model, 'num_stuff_classes'))
    if zoo['default_scope'] == 'mmdet':
        return _detection_data(root, _first(model, 'num_classes'))
    # CIFAR's pipelines take the images at their own size (a 32 px crop of
    # the padded image; no resize in testing).
    return _classification_data(
        root, 32 if train_set['type'] in ('CIFAR10', 'CIFAR100') else 80)


def user_config(tmp_path, family):
    """The zoo config on generated data, at a small image scale, without
    pretrained weights."""
    zoo = Config.fromfile(ConfigSource(family.zoo).path).to_dict()
    # Without mmengine's serialising of the annotations, whose gc.collect of
    # this process takes seconds and gains 4 images nothing.
    data = dict(_generated_data(str(tmp_path / 'data'), zoo),
                serialize_data=False)
    (test_set, ) = leaf_datasets(zoo['val_dataloader']['dataset'])[:1]
    loader = dict(num_workers=0, persistent_workers=False)
    val_loader = dict(loader, dataset=dict(
        data, test_mode=True,
        pipeline=_from_files(shrunk(test_set['pipeline'], family.factor)),
        _delete_=True))
    model = copy.deepcopy(family.model)
    model['backbone'] = dict(model.get('backbone', {}), init_cfg=None)
    augments = zoo['model'].get('data_preprocessor', {}).get(
        'batch_augments')
    if augments:
        model['data_preprocessor'] = dict(
            batch_augments=shrunk(augments, family.factor))
    overrides = dict(
        model=model,
        train_dataloader=dict(loader, batch_size=2, dataset=dict(
            _with_data(zoo['train_dataloader']['dataset'], data,
                       family.factor), _delete_=True)),
        val_dataloader=val_loader, test_dataloader=val_loader)
    if zoo.get('custom_hooks'):
        overrides['custom_hooks'] = shrunk(zoo['custom_hooks'],
                                           family.factor)
    return write_child_config(tmp_path / 'user_config.py', family.zoo,
                              overrides)


def one_step(config, work_dir, search):
    """Train a config for one step in this process, without validation or
    checkpoints: the search with one policy per step on batches of one
    image, the retraining on one image of each dataset."""
    # Without yapf's formatting of the config text each time the runner
    # logs or saves it (four times a run: most of a run's time on these
    # configs, and nothing these tests check); Config.fromfile does not
    # pass format_python_code on.
    cfg = Config(Config.fromfile(config).to_dict(), filename=config,
                 format_python_code=False)
    cfg.work_dir = str(work_dir)
    cfg.log_level = 'WARNING'
    cfg.train_cfg.max_epochs = 1
    cfg.train_cfg.pop('dynamic_intervals', None)
    schedulers = cfg.param_scheduler
    for scheduler in ([schedulers] if isinstance(schedulers, dict) else
                      schedulers):  # mmengine's default end would be 1
        scheduler.setdefault('end', scheduler.get('begin', 0) + 1)
    if search:
        cfg.train_cfg.num_policies = 1
        cfg.train_cfg.policy_dataloader.batch_size = 1
        cfg.train_dataloader.batch_size = 1
    else:
        leaves = leaf_datasets(cfg.train_dataloader.dataset)
        for leaf in leaves:
            leaf.indices = 1
        cfg.train_dataloader.batch_size = len(leaves)
    for key in ('val', 'test'):
        cfg[f'{key}_dataloader'] = cfg[f'{key}_cfg'] = None
        cfg[f'{key}_evaluator'] = None
    cfg.default_hooks.checkpoint = None
    cfg.auto_scale_lr = dict(enable=False)
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def policy_neighbours(cfg):
    """The type right before DynamicDDASAugment in every training pipeline
    of the config, each pipeline's transforms in order."""
    before = []
    for path in train_paths(cfg.to_dict()):
        kinds = [t['type'] for t in path.transforms]
        assert kinds.count('DynamicDDASAugment') == 1, kinds
        before.append(kinds[kinds.index('DynamicDDASAugment') - 1])
    return before


def _mixes_images(path):
    """Whether a sample path mixes several images: a transform that draws
    from a cache or from other samples (Mosaic, MixUp ...), or the pipeline
    of a wrapper that feeds it other samples (MultiImageMixDataset)."""
    return len(path.segments) > 1 or any(
        R.MULTI_IMAGE in R.roles(t) for t in path.transforms)


def assert_policy_at_search_scale(search, retrain, num_samples=3):
    """Check, by running them, that the policy sees images of the size the
    search's ops saw.

    S_train's pipeline (``search_train_pipeline``) and a retraining
    pipeline up to DynamicDDASAugment run on the same sample with the same
    random seed, so that random resizes and crops draw alike: the images
    must have one size. S_train's transforms must be the retraining's
    without the policy, less those after it that leave a float image (the
    search's ops run after S_train, on uint8 images). This does not use the
    generator's rules. It runs each path of the retraining's dataset (one
    per leaf dataset) that takes one image at a time; a path that mixes
    images needs a dataset's cache or its other samples, and is left out.

    Args:
        search (Config): the generated search config.
        retrain (Config): the generated retraining config.
        num_samples (int): samples to run, from the first.
    """
    init_default_scope(retrain.default_scope)
    search_pipeline = Compose(search.search_train_pipeline)
    search_kinds = [type_name(t) for t in search.search_train_pipeline]
    dataset_cfg = retrain.train_dataloader.dataset
    for path in dataset_paths(dataset_cfg, ()):
        if _mixes_images(path):
            continue
        (segment, ) = path.segments
        leaf = dataset_cfg
        for key in segment.keys[:-1]:
            leaf = leaf[key]
        kinds = [type_name(t) for t in segment.transforms]
        point = kinds.index('DynamicDDASAugment')
        before_policy = Compose(segment.transforms[:point])
        dataset = DATASETS.build(dict(leaf, pipeline=[]))
        for index in range(min(num_samples, len(dataset))):
            sample = dataset[index]
            set_random_seed(index)
            searched = search_pipeline(copy.deepcopy(sample))
            set_random_seed(index)
            at_policy = before_policy(copy.deepcopy(sample))
            assert tuple(searched['inputs'].shape[-2:]) == tuple(
                at_policy['img'].shape[:2]), (index, kinds)
        assert search_kinds == kinds[:point] + [
            type_name(t) for t in segment.transforms[point + 1:]
            if R.TO_FLOAT not in R.roles(t)
        ], (search_kinds, kinds)


def search_and_retrain(tmp_path, family):
    """Generate the configs of a family's zoo config on generated data,
    check where the policy sits (by the transform before it, and by running
    the pipelines where they take one image at a time), then run one search
    step and one retraining step.

    Args:
        tmp_path (Path): a folder for the data, configs and runs.
        family (Family): the zoo config and what it must show.

    Returns:
        tuple: the search's and the retraining's runners.
    """
    search_dir = tmp_path / 'search'
    generated = generate_ddas_configs(
        user_config(tmp_path, family), out_dir=str(tmp_path / 'generated'),
        num_train=1, num_val=1, epochs=1, sgd_lr=family.sgd_lr,
        policy=str(search_dir / 'ddas_policy.json'))
    retrain = Config.fromfile(generated.retrain)
    neighbours = policy_neighbours(retrain)
    assert set(neighbours) == {family.before_policy}, neighbours
    search_cfg = Config.fromfile(generated.search)
    # The generated data are image files, which mmcv loads in BGR order.
    assert search_cfg.train_cfg.channel_order == 'bgr'
    assert_policy_at_search_scale(search_cfg, retrain)
    search = one_step(generated.search, search_dir, search=True)
    assert search.train_loop.iter == 1
    assert search.train_loop.num_skipped == 0
    retraining = one_step(generated.retrain, tmp_path / 'retrain',
                          search=False)
    assert retraining.train_loop.iter == 1
    return search, retraining


@pytest.mark.parametrize('name', sorted(FAMILIES))
def test_family_searches_and_retrains(tmp_path, name):
    search_and_retrain(tmp_path, FAMILIES[name])


@pytest.fixture
def panopticapi(monkeypatch):
    """``panopticapi.utils.rgb2id``, which mmdet's LoadPanopticAnnotations
    imports, for one test.

    panopticapi is on none of the package registries this project installs
    from, so this module stands in for it: ``rgb2id`` is its documented
    formula, id = R + 256 * G + 256 ** 2 * B of an (H, W, 3) RGB array.
    """
    package = types.ModuleType('panopticapi')
    package.utils = types.ModuleType('panopticapi.utils')

    def rgb2id(color):
        color = color.astype(np.int64)
        return color[..., 0] + 256 * color[..., 1] + 256**2 * color[..., 2]

    package.utils.rgb2id = rgb2id
    monkeypatch.setitem(sys.modules, 'panopticapi', package)
    monkeypatch.setitem(sys.modules, 'panopticapi.utils', package.utils)


def test_panoptic_fpn_searches_and_retrains(tmp_path, panopticapi):
    search, _ = search_and_retrain(tmp_path, PANOPTIC)
    # S_val's maps are loaded before the resize: the image's size.
    sample = search.train_loop.policy_dataloader.dataset[0]
    image_size = tuple(sample['inputs'].shape[-2:])
    data_sample = sample['data_samples']
    assert data_sample.gt_sem_seg.shape == image_size
    masks = data_sample.gt_instances.masks
    assert (masks.height, masks.width) == image_size
    # Every pixel of the map is a thing of a box's class or the stuff around
    # the items (the first stuff class, after the model's thing classes).
    things = search.cfg.model.semantic_head.num_things_classes
    labels = set(data_sample.gt_instances.labels.tolist()) | {things}
    assert data_sample.gt_sem_seg.sem_seg.unique().tolist() == sorted(labels)


def _generated(tmp_path, family, **options):
    generated = generate_ddas_configs(family.zoo, out_dir=str(tmp_path),
                                      sgd_lr=family.sgd_lr, **options)
    return (Config.fromfile(generated.search),
            Config.fromfile(generated.retrain), generated.notes)


def _kinds(pipeline):
    return [t['type'] for t in pipeline]


def test_ssd_s_train_has_no_float_transform(tmp_path):
    search, retrain, notes = _generated(tmp_path, FAMILIES['ssd300'])
    assert 'PhotoMetricDistortion' not in _kinds(search.search_train_pipeline)
    assert any('PhotoMetricDistortion' in n for n in notes)
    kinds = _kinds(retrain.ddas_train_pipeline)
    assert kinds.index('DynamicDDASAugment') == kinds.index('Resize') + 1
    assert kinds.index('PhotoMetricDistortion') > kinds.index('Resize')


def test_yolox_splits_inside_the_mixing_dataset(tmp_path):
    search, _, _ = _generated(tmp_path, FAMILIES['yolox'])
    dataset = search.train_dataloader.dataset
    assert dataset.type == 'MultiImageMixDataset'
    assert dataset.dataset.type == 'ProxySplit'
    assert _kinds(dataset.pipeline) == _kinds(search.search_train_mix_pipeline)
    assert search.train_cfg.channel_order == 'bgr'
    warm_up = search.param_scheduler[0]
    assert (warm_up.type, warm_up.begin, warm_up.end) == (
        'mmdet.QuadraticWarmupLR', 0, 1)


def test_voc_splits_the_concatenated_datasets(tmp_path):
    search, _, notes = _generated(
        tmp_path, FAMILIES['faster-rcnn-voc'])
    split = search.train_dataloader.dataset
    assert (split.type, split.dataset.type) == ('ProxySplit',
                                                 'ConcatDataset')
    assert [d.pipeline for d in split.dataset.datasets] == [
        search.search_train_pipeline] * 2
    assert any('RepeatDataset' in n for n in notes)


def test_rtmdet_policy_also_in_the_switched_pipeline(tmp_path):
    search, retrain, _ = _generated(tmp_path, FAMILIES['rtmdet'])
    (switch, ) = [h for h in retrain.custom_hooks
                  if h.type == 'PipelineSwitchHook']
    assert 'DynamicDDASAugment' in _kinds(switch.switch_pipeline)
    assert retrain.custom_hooks[-1].type == 'DDASPolicyHook'
    kinds = _kinds(search.search_train_pipeline)
    assert 'CachedMosaic' in kinds and 'CachedMixUp' not in kinds
    # AdamW's weight decay is not SGD's.
    assert search.optim_wrapper.optimizer.weight_decay == 1e-4


def test_panoptic_s_val_loads_the_maps_before_the_resize(tmp_path):
    search, _, _ = _generated(tmp_path, PANOPTIC)
    kinds = _kinds(search.search_val_pipeline)
    assert kinds.index('LoadPanopticAnnotations') < kinds.index('Resize')
    # The training's loader: boxes, masks and the semantic map (its
    # defaults), where the test pipeline loads the map alone.
    (loader, ) = [t for t in search.search_val_pipeline
                  if t.type == 'LoadPanopticAnnotations']
    assert loader == search.train_dataloader.dataset.dataset.pipeline[1]
    assert loader.get('with_mask', True) and loader.get('with_seg', True)


def test_mobilenet_step_schedule_keeps_its_decay(tmp_path):
    search, _, _ = _generated(tmp_path, FAMILIES['mobilenet-v2'],
                              epochs=20)
    (step, ) = search.param_scheduler
    assert step.step_size == 1
    assert math.isclose(step.gamma**20, 0.98**300)


def test_vit_sgd_weight_decay_is_said(tmp_path):
    search, retrain, notes = _generated(tmp_path, FAMILIES['vit'])
    assert search.optim_wrapper.optimizer.weight_decay == 1e-4
    assert retrain.optim_wrapper.optimizer.type == 'AdamW'
    assert any('weight decay 0.0001' in n and '0.3' in n for n in notes)


def test_centernet_is_refused_with_the_line(tmp_path):
    """Its photometric distortion, before the crop and resize, leaves a
    float image where the policy would go (RandomCenterCropPad needs one)."""
    with pytest.raises(ConfigError) as error:
        generate_ddas_configs(
            'mmdet::centernet/centernet_r18_8xb16-crop512-140e_coco.py',
            out_dir=str(tmp_path))
    message = str(error.value)
    assert 'PhotoMetricDistortion leaves a float image' in message
    assert re.search(r'centernet_r18-dcnv2_8xb16-crop512-140e_coco\.py:\d+: '
                     r"type='PhotoMetricDistortion'", message), message
    assert 'fix: ' in message
