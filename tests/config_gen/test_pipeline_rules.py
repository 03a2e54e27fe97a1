"""The generator's rules on pipelines written here: transform roles, the
walk over dataset wrappers and hooks, the policy point, S_train, S_val and
the stretched schedules (no config files, no training)."""
import math

import pytest

from ddas_mm.config_gen import pipeline_rules as rules
from ddas_mm.config_gen import roles as R
from ddas_mm.config_gen.schedules import stretched_schedulers
from ddas_mm.config_gen.walker import leaf_datasets, train_paths

LOAD = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]
PACK = dict(type='PackDetInputs')
AUGMENT = dict(type='DynamicDDASAugment')


def kinds(pipeline):
    return [t['type'] for t in pipeline]


def test_a_container_has_its_childrens_roles():
    choice = dict(type='RandomChoice', transforms=[
        [dict(type='RandomChoiceResize', scales=[(96, 64)])],
        [dict(type='RandomCrop', crop_size=(32, 32)), dict(type='Frobnicate')],
    ])
    assert R.roles(choice) == {R.SIZE, R.AUG, R.UNKNOWN}
    assert list(R.unknown_types(choice)) == ['Frobnicate']
    assert R.roles(dict(type='LoadImageFromFile', to_float32=True)) == {
        R.LOAD, R.TO_FLOAT}
    assert R.roles(dict(type='mmdet.PhotoMetricDistortion')) == {
        R.AUG, R.TO_FLOAT}


def test_walker_opens_wrappers_and_adds_switched_pipelines():
    leaf_a = dict(type='CocoDataset', pipeline=LOAD)
    leaf_b = dict(type='CocoDataset', pipeline=LOAD)
    cfg = dict(
        train_dataloader=dict(dataset=dict(
            type='MultiImageMixDataset', pipeline=[PACK],
            dataset=dict(type='RepeatDataset', times=3, dataset=dict(
                type='ConcatDataset', datasets=[leaf_a, leaf_b])))),
        custom_hooks=[dict(type='EMAHook'),
                      dict(type='PipelineSwitchHook',
                           switch_pipeline=[dict(type='Resize')])])
    paths = train_paths(cfg)
    inner = ('train_dataloader', 'dataset', 'dataset', 'dataset', 'datasets')
    assert [[s.keys for s in p.segments] for p in paths] == [
        [(*inner, 0, 'pipeline'), ('train_dataloader', 'dataset', 'pipeline')],
        [(*inner, 1, 'pipeline'), ('train_dataloader', 'dataset', 'pipeline')],
        # the hook replaces the top dataset's pipeline
        [(*inner, 0, 'pipeline'), ('custom_hooks', 1, 'switch_pipeline')],
        [(*inner, 1, 'pipeline'), ('custom_hooks', 1, 'switch_pipeline')],
    ]
    assert kinds(paths[0].transforms) == kinds(LOAD) + ['PackDetInputs']
    assert leaf_datasets(cfg['train_dataloader']['dataset']) == [
        leaf_a, leaf_b]


def _path(pipeline):
    return train_paths(dict(train_dataloader=dict(dataset=dict(
        type='CocoDataset', pipeline=pipeline))))[0]


def test_policy_goes_after_a_resize_inside_random_choice():
    # DETR's training pipeline
    choice = dict(type='RandomChoice', transforms=[
        [dict(type='RandomChoiceResize', scales=[(96, 64)])],
        [dict(type='RandomChoiceResize', scales=[(80, 60)]),
         dict(type='RandomCrop', crop_size=(40, 40))]])
    path = _path([*LOAD, dict(type='RandomFlip'), choice, PACK])
    retrain = rules.retrain_pipelines(path, AUGMENT).pipelines[0]
    assert kinds(retrain) == [
        'LoadImageFromFile', 'LoadAnnotations', 'RandomFlip', 'RandomChoice',
        'DynamicDDASAugment', 'PackDetInputs']


def test_s_train_drops_float_and_mixing_transforms_after_the_policy():
    # RTMDet-like: Mosaic before the policy point stays, MixUp after it and
    # a photometric distortion go; RandAugment is replaced.
    pipeline = [
        *LOAD, dict(type='CachedMosaic', img_scale=(64, 64)),
        dict(type='RandomResize', scale=(128, 128)),
        dict(type='RandomCrop', crop_size=(64, 64)),
        dict(type='YOLOXHSVRandomAug'), dict(type='RandAugment'),
        dict(type='Pad', size=(64, 64)), dict(type='PhotoMetricDistortion'),
        dict(type='CachedMixUp'), PACK]
    path = _path(pipeline)
    s_train = rules.search_train_pipelines(path)
    assert kinds(s_train.pipelines[0]) == [
        'LoadImageFromFile', 'LoadAnnotations', 'CachedMosaic',
        'RandomResize', 'RandomCrop', 'YOLOXHSVRandomAug', 'Pad',
        'PackDetInputs']
    assert s_train.removed == [
        'RandAugment', 'PhotoMetricDistortion', 'CachedMixUp']
    retrain = rules.retrain_pipelines(path, AUGMENT)
    assert kinds(retrain.pipelines[0]) == [
        'LoadImageFromFile', 'LoadAnnotations', 'CachedMosaic',
        'RandomResize', 'RandomCrop', 'YOLOXHSVRandomAug', 'Pad',
        'DynamicDDASAugment', 'PhotoMetricDistortion', 'CachedMixUp',
        'PackDetInputs']
    assert retrain.removed == ['RandAugment']
    assert rules.float_before_policy(path) is None


def test_a_float_image_before_the_policy_is_found():
    # CenterNet: a photometric distortion before the crop and resize.
    centernet = _path([*LOAD, dict(type='PhotoMetricDistortion'),
                       dict(type='RandomCenterCropPad'), dict(type='Resize'),
                       dict(type='RandomFlip'), PACK])
    assert rules.float_before_policy(centernet)['type'] == \
        'PhotoMetricDistortion'
    float_load = _path([dict(type='LoadImageFromFile', to_float32=True),
                        dict(type='Resize'), PACK])
    assert rules.float_before_policy(float_load)['to_float32']


def test_policy_in_the_mixing_wrappers_pipeline():
    # YOLOX: the leaf loads, the MultiImageMixDataset's pipeline resizes.
    cfg = dict(train_dataloader=dict(dataset=dict(
        type='MultiImageMixDataset',
        pipeline=[dict(type='Mosaic'), dict(type='RandomAffine'),
                  dict(type='MixUp'), dict(type='Resize'), dict(type='Pad'),
                  PACK],
        dataset=dict(type='CocoDataset', pipeline=LOAD))))
    (path, ) = train_paths(cfg)
    retrain = rules.retrain_pipelines(path, AUGMENT).pipelines
    assert retrain[0] == LOAD
    assert kinds(retrain[1]) == [
        'Mosaic', 'RandomAffine', 'MixUp', 'Resize', 'Pad',
        'DynamicDDASAugment', 'PackDetInputs']
    # MixUp is before the policy: its output is what the policy sees.
    assert rules.search_train_pipelines(path).removed == []


def test_s_val_loads_every_annotation_before_the_resize():
    panoptic = dict(type='LoadPanopticAnnotations', with_bbox=True,
                    with_mask=True, with_seg=True)
    test_pipeline = [dict(type='LoadImageFromFile'), dict(type='Resize'),
                     dict(type='LoadPanopticAnnotations', with_bbox=True),
                     PACK]
    s_val = rules.search_val_pipeline(
        test_pipeline, rules.annotation_loaders(
            [dict(type='LoadImageFromFile'), panoptic, dict(type='Resize')]))
    assert s_val == [dict(type='LoadImageFromFile'), panoptic,
                     dict(type='Resize'), PACK]


def test_schedules_keep_warm_ups_and_the_decay():
    # YOLOX over 300 epochs, searched for 30.
    yolox = stretched_schedulers([
        dict(type='QuadraticWarmupLR', by_epoch=True, begin=0, end=5,
             convert_to_iter_based=True),
        dict(type='CosineAnnealingLR', by_epoch=True, begin=5, end=285,
             T_max=280, eta_min=0.0005),
        dict(type='ConstantLR', by_epoch=True, begin=285, end=300,
             factor=1),
        dict(type='LinearLR', by_epoch=False, begin=0, end=1000),
    ], 30, 300)
    assert [(s['begin'], s['end']) for s in yolox] == [
        (0, 1), (1, 29), (29, 30), (0, 1000)]
    assert yolox[1]['T_max'] == 28
    # MobileNetV2: StepLR step_size=1, gamma=0.98 over 300 epochs.
    (step, ) = stretched_schedulers(
        [dict(type='StepLR', by_epoch=True, step_size=1, gamma=0.98)],
        20, 300)
    assert step['step_size'] == 1
    assert math.isclose(step['gamma']**20, 0.98**300)
    (steps, ) = stretched_schedulers(
        [dict(type='MultiStepLR', begin=0, end=12, milestones=[8, 11])],
        30, 12)
    assert (steps['end'], steps['milestones']) == (30, [20, 28])
    # A scheduler within one epoch keeps one.
    # A scheduler within one epoch keeps one; one without an end ends
    # with the search, or after its begin (DeiT's cosine from epoch 20 of
    # 300, searched for 1).
    short, endless = stretched_schedulers(
        [dict(type='LinearLR', begin=280, end=285),
         dict(type='CosineAnnealingLR', begin=20)], 30, 300)
    assert (short['begin'], short['end']) == (28, 29)
    assert (endless['begin'], endless['end']) == (2, 30)
    (endless, ) = stretched_schedulers(
        [dict(type='CosineAnnealingLR', begin=20)], 1, 300)
    assert (endless['begin'], endless['end']) == (1, 2)


@pytest.mark.parametrize('transform, random', [
    (dict(type='RandomFlip'), True), (dict(type='Resize'), False),
    (dict(type='RandomCrop'), True), (dict(type='Mosaic'), True),
    (dict(type='RandAugment'), True), (dict(type='PackInputs'), False),
    (dict(type='RandomShift'), True)])
def test_is_random(transform, random):
    assert rules.is_random(transform) == random
