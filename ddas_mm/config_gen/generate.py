"""A DDAS search config and a retraining config from a user's config.

``generate_ddas_configs('mmdet::fcos/...py')`` writes two configs that
inherit the given one through ``_base_``: a search on a proxy split of its
training set and a retraining that replays the searched policy. Where the
policy goes in the pipeline, and what the search keeps of it, is
:mod:`ddas_mm.config_gen.pipeline_rules`.
"""
import math
import os.path as osp
from typing import List, NamedTuple, Optional

from mmengine.config import Config

from ddas_mm.fileio import write_atomically
from ddas_mm.ops import PRESETS
from ddas_mm.policy import defaults
from ddas_mm.policy.schedule import POLICY_FILENAME
from ddas_mm.config_text import Code, config_text, type_name
from . import pipeline_rules as rules
from .schedules import base_epochs, stretched_schedulers
from .source import ConfigError, ConfigSource

TASKS = {'mmdet': 'detection', 'mmpretrain': 'classification'}
# Classification images up to this side get the 'cifar' preset, larger
# ones 'imagenet' (the paper's two classification settings).
CIFAR_MAX_SIDE = 64
# Dataset wrappers whose inner dataset the proxy split takes instead.
UNWRAPPED = ('RepeatDataset', 'ClassBalancedDataset')


class ConfigFacts(NamedTuple):
    """What the generated configs are made from."""
    source: ConfigSource
    task: str
    keys: List[str]  # from the config to the training dataset
    train_pipeline: List[dict]
    test_pipeline: List[dict]
    base_epochs: int
    preset: str
    channel_order: str
    base: str  # the _base_ entry of the generated configs


class GeneratedConfigs(NamedTuple):
    """What :func:`generate_ddas_configs` wrote."""
    search: str
    retrain: str
    notes: List[str]


def _task(source: ConfigSource) -> str:
    scope = source.cfg.get('default_scope')
    if scope not in TASKS:
        raise source.error(
            f'cannot tell the task: default_scope is {scope!r}.',
            r'default_scope',
            "set default_scope='mmdet' (detection) or 'mmpretrain' "
            '(classification).')
    return TASKS[scope]


def _dataset_path(source: ConfigSource, loader: str) -> Optional[List[str]]:
    """The keys leading from the config to the dataset that has the
    pipeline, through the wrappers the proxy split can look through."""
    dataloader = source.cfg.get(loader)
    if not dataloader:
        return None
    keys, dataset = [loader, 'dataset'], dataloader['dataset']
    kind = type_name(dataset)
    if kind in UNWRAPPED:
        keys, dataset = keys + ['dataset'], dataset['dataset']
    elif 'pipeline' not in dataset:
        raise source.error(
            f'{loader}.dataset is a {kind}: the search draws its proxy '
            f'split from one dataset with a pipeline, and {kind} is not a '
            f'wrapper it can look through (it can: {", ".join(UNWRAPPED)}).',
            rf"['\"]{kind}['\"]",
            f'generate from a config whose {loader}.dataset is the dataset '
            f'itself (or one of those wrappers), e.g. a copy of yours '
            f'without the {kind}.')
    return keys


def _lookup(cfg: Config, keys: List[str]):
    value = cfg
    for key in keys:
        value = value[key]
    return value


def _check_pipeline(source: ConfigSource, pipeline: List[dict]) -> None:
    for transform in pipeline:
        kind = type_name(transform)
        if rules.is_loading(transform) and transform.get('to_float32'):
            raise source.error(
                f'{kind} loads float images: the ops work on uint8 images.',
                r'to_float32\s*=\s*True',
                'drop to_float32=True; the data preprocessor converts the '
                'batch.')


def _check_optimizer(source: ConfigSource, sgd_lr: Optional[float]) -> None:
    kind = type_name(
        source.cfg.get('optim_wrapper', {}).get('optimizer', {}), 'SGD')
    if kind != 'SGD' and sgd_lr is None:
        raise source.error(
            f'the network optimizer is {kind}: the policy gradient (Eq. 15) '
            f'differentiates through one SGD step of the network (Eq. 6).',
            rf"['\"]{kind}['\"]",
            'search with SGD: give sgd_lr (tools/misc/ddas_configs.py '
            '--sgd-lr LR, e.g. the learning rate SGD uses for this model); '
            f'the retraining config keeps {kind}.')


def _preset(task: str, train_pipeline: List[dict]) -> str:
    if task == 'detection':
        return 'coco'
    side = rules.image_side(train_pipeline)
    return 'cifar' if side is not None and side <= CIFAR_MAX_SIDE else \
        'imagenet'


def _imports(source: ConfigSource) -> Code:
    if source.cfg.get('custom_imports'):
        return Code("dict(imports=_base_.custom_imports.imports + "
                    "['ddas_mm'], allow_failed_imports=False)")
    return Code("dict(imports=['ddas_mm'], allow_failed_imports=False)")


def _dataset_reference(keys: List[str]) -> Code:
    return Code('_base_.' + '.'.join(keys))


def _with_pipeline(keys: List[str], pipeline: str) -> Code:
    """The dataloader override that sets the pipeline of the dataset at
    ``keys``, e.g. ``dict(dataset=dict(pipeline=NAME))``."""
    text = f'dict(pipeline={pipeline})'
    for key in reversed(keys[1:]):
        text = f'dict({key}={text})'
    return Code(text)


def _search_config(facts: ConfigFacts, num_train: int, num_val: int,
                   num_classes: Optional[int], epochs: int,
                   sgd_lr: Optional[float], notes: List[str]) -> str:
    cfg = facts.source.cfg
    s_train, left_out = rules.search_train_pipeline(facts.train_pipeline)
    if left_out:
        notes.append(f'S_train leaves out {", ".join(left_out)}: the '
                     f'searched policy takes its place.')
    s_val = rules.search_val_pipeline(facts.test_pipeline,
                                      facts.task == 'detection')
    proxy = dict(
        type='ProxySplit', num_train=num_train, num_val=num_val, seed=0)
    if num_classes is not None:
        proxy['num_classes'] = num_classes
    loader = cfg.train_dataloader
    loader_refs = ''.join(
        f', {key}=_base_.train_dataloader.{key}'
        for key in ('batch_size', 'num_workers', 'persistent_workers',
                    'batch_sampler') if key in loader)
    policy_loader = Code(
        f"dict(sampler=dict(type='DefaultSampler', shuffle=True)"
        f"{loader_refs}, dataset=dict(proxy, split='val', "
        f'dataset=dict(ddas_train_set, pipeline=search_val_pipeline)))')
    train_cfg = dict(
        _delete_=True,
        type='DDASSearchLoop',
        max_epochs=epochs,
        val_interval=epochs,
        policy_dataloader=policy_loader,
        space=dict(preset=facts.preset),
        num_policies=defaults.NUM_POLICIES,
        num_ops=defaults.NUM_OPS,
        init_tp=defaults.INIT_TP,
        policy_optim=defaults.policy_optim(facts.preset),
        tp_optim=defaults.tp_optim(),
        channel_order=facts.channel_order)
    assignments = [
        ('_base_', [facts.base]),
        ('custom_imports', _imports(facts.source)),
        ('ddas_train_set', _dataset_reference(facts.keys)),
        ('search_train_pipeline', s_train),
        ('search_val_pipeline', s_val),
        ('proxy', proxy),
        ('train_dataloader',
         Code("dict(dataset=dict(proxy, split='train', dataset=dict("
              'ddas_train_set, pipeline=search_train_pipeline), '
              '_delete_=True))')),
        ('train_cfg', train_cfg),
        ('param_scheduler',
         stretched_schedulers(cfg.get('param_scheduler'),
                              epochs / facts.base_epochs)),
        # The user's own hooks are for the final model; the search trains a
        # network it throws away (and a pipeline-switching hook would
        # replace S_train's pipeline).
        ('custom_hooks', [dict(type='DDASPolicyHook')]),
    ]
    if sgd_lr is not None:
        weight_decay = cfg.optim_wrapper.optimizer.get('weight_decay', 0)
        assignments.append(('optim_wrapper', dict(
            optimizer=dict(
                _delete_=True,
                type='SGD',
                lr=sgd_lr,
                momentum=0.9,
                weight_decay=weight_decay))))
        notes.append(f'the search uses SGD (lr {sgd_lr}, momentum 0.9) in '
                     f'place of {cfg.optim_wrapper.optimizer.type}.')
    header = (
        f'DDAS search generated from {facts.source.name} by '
        f'tools/misc/ddas_configs.py: {facts.task}, the {facts.preset!r} '
        f'space, {facts.channel_order.upper()} images, S_train {num_train} / '
        f'S_val {num_val} images of the training set, {epochs} epochs '
        f'({epochs * _batches(num_train, num_classes, facts)} policy steps on '
        f'one GPU), '
        f'the schedule stretched from {facts.base_epochs} epochs.\n' +
        ''.join(f'- {n}\n' for n in notes))
    return config_text(header, assignments)


def _batches(num_train: int, num_classes: Optional[int],
             facts: ConfigFacts) -> int:
    """S_train's batches per epoch in a single-process run."""
    images = num_train * (num_classes or 1)
    return math.ceil(images / facts.source.cfg.train_dataloader.batch_size)


def _search_epochs(num_train: int, num_classes: Optional[int],
                   facts: ConfigFacts) -> int:
    """The task's search length, or the epochs that reach the paper's
    policy steps where that is longer."""
    return max(
        defaults.TASK_DEFAULTS[facts.task]['epochs'],
        math.ceil(defaults.POLICY_STEPS /
                  _batches(num_train, num_classes, facts)))


def _retrain_config(facts: ConfigFacts, policy: str,
                    notes: List[str]) -> str:
    augment = dict(
        type='DynamicDDASAugment',
        policy=Code('ddas_policy'),
        smooth=defaults.SMOOTH,
        channel_order=facts.channel_order)
    pipeline, replaced = rules.retrain_pipeline(facts.train_pipeline,
                                                augment)
    if replaced:
        notes.append(f'retraining replaces {", ".join(replaced)} with the '
                     f'searched policy.')
    hooks = ('_base_.custom_hooks + ' if facts.source.cfg.get('custom_hooks')
             else '') + "[dict(type='DDASPolicyHook')]"
    assignments = [
        ('_base_', [facts.base]),
        ('custom_imports', _imports(facts.source)),
        ('ddas_policy', policy),
        ('ddas_train_pipeline', pipeline),
        ('train_dataloader',
         _with_pipeline(facts.keys, 'ddas_train_pipeline')),
        ('custom_hooks', Code(hooks)),
    ]
    header = (f'{facts.source.name} retrained with a DDAS policy, generated '
              f'by tools/misc/ddas_configs.py: DynamicDDASAugment right '
              f'after the transform that sets the image size, where the '
              f"search applied its ops; p_tp smoothed as the authors' "
              f'(F_s = {defaults.SMOOTH}).')
    return config_text(header, assignments)


def generate_ddas_configs(config: str,
                          out_dir: Optional[str] = None,
                          num_train: Optional[int] = None,
                          num_val: Optional[int] = None,
                          epochs: Optional[int] = None,
                          preset: Optional[str] = None,
                          num_classes: Optional[int] = None,
                          sgd_lr: Optional[float] = None,
                          channel_order: Optional[str] = None,
                          policy: Optional[str] = None) -> GeneratedConfigs:
    """Write ``<name>_ddas_search.py`` and ``<name>_ddas_retrain.py``.

    Args:
        config (str): the user's config: a path or an ``mmdet::`` /
            ``mmpretrain::`` name.
        out_dir (str, optional): where to write them. Defaults to
            ``work_dirs/<name>/``.
        num_train (int, optional): S_train images (per class with
            ``num_classes``). Defaults to the paper's proxy task: 3000 for
            detection, 2000 for classification.
        num_val (int, optional): S_val images. Defaults to 1500 / 2000.
        epochs (int, optional): search epochs. Defaults to 30 / 20, or
            more where that makes fewer than the paper's 1250 policy steps
            (one per S_train batch) in a single-process run.
        preset (str, optional): the search space. Defaults to 'coco' for
            detection, 'cifar' for classification images of at most 64
            pixels a side, 'imagenet' for larger ones.
        num_classes (int, optional): classification: split per class, over
            this many classes drawn at random (the paper's ImageNet proxy).
        sgd_lr (float, optional): search with SGD at this learning rate
            where the config's optimizer is not SGD.
        channel_order (str, optional): 'bgr' or 'rgb', where it cannot be
            told from the pipeline.
        policy (str, optional): the policy file the retraining replays.
            Defaults to where ``tools/train.py`` writes it for the search
            config: ``work_dirs/<name>_ddas_search/ddas_policy.json``.

    Returns:
        GeneratedConfigs: the two paths, and notes on what was decided.

    Raises:
        ConfigError: what the config needs changed, with its line.
    """
    source = ConfigSource(config)
    task = _task(source)
    task_defaults = defaults.TASK_DEFAULTS[task]
    if num_classes is not None and task != 'classification':
        raise ConfigError('num_classes (a per-class split) is for '
                          'classification; leave it out for detection.')
    if preset is not None and preset not in PRESETS:
        raise ConfigError(f'unknown preset {preset!r}; choose one of '
                          f'{sorted(PRESETS)}.')
    out_dir = out_dir or osp.join('work_dirs', source.stem)
    facts = _facts(source, task, preset, channel_order, out_dir)
    _check_optimizer(source, sgd_lr)
    search_name = f'{source.stem}_ddas_search'
    policy = policy or osp.join('work_dirs', search_name, POLICY_FILENAME)
    notes: List[str] = []
    num_train = num_train or task_defaults['num_train']
    texts = {
        search_name:
        _search_config(facts, num_train, num_val or task_defaults['num_val'],
                       num_classes, epochs
                       or _search_epochs(num_train, num_classes, facts),
                       sgd_lr, notes),
        f'{source.stem}_ddas_retrain':
        _retrain_config(facts, policy, notes),
    }
    paths = []
    for name, text in texts.items():
        path = osp.join(out_dir, f'{name}.py')
        write_atomically(path, text)
        Config.fromfile(path)  # what was written loads
        paths.append(path)
    return GeneratedConfigs(paths[0], paths[1], notes)


def _facts(source: ConfigSource, task: str, preset: Optional[str],
           channel_order: Optional[str], out_dir: str) -> ConfigFacts:
    """Read and check what the generated configs are made from."""
    keys = _dataset_path(source, 'train_dataloader')
    if keys is None:
        raise source.error('the config has no train_dataloader.',
                           r'train_dataloader',
                           'generate from a training config.')
    train_dataset = _lookup(source.cfg, keys)
    train_pipeline = [t.to_dict() for t in train_dataset['pipeline']]
    _check_pipeline(source, train_pipeline)
    test_keys = (_dataset_path(source, 'val_dataloader')
                 or _dataset_path(source, 'test_dataloader'))
    test_pipeline = (_lookup(source.cfg, test_keys)['pipeline']
                     if test_keys else source.cfg.get('test_pipeline'))
    if test_pipeline is None:
        raise source.error(
            'no test pipeline (val_dataloader, test_dataloader or '
            'test_pipeline): S_val needs a deterministic one.',
            r'val_dataloader', 'give the config a val_dataloader.')
    channel_order = channel_order or rules.channel_order(
        train_pipeline, type_name(train_dataset))
    if channel_order is None:
        raise source.error(
            'cannot tell the channel order of the images: the pipeline '
            'has no LoadImageFromFile and the dataset is not one of '
            f'{sorted(rules.RGB_ARRAY_DATASETS)}.', r'pipeline',
            "give channel_order ('bgr' or 'rgb'; tools/misc/ddas_configs.py "
            '--channel-order).')
    base = (source.name if '::' in source.name else osp.relpath(
        source.path, out_dir))
    return ConfigFacts(
        source=source,
        task=task,
        keys=keys,
        train_pipeline=train_pipeline,
        test_pipeline=[t.to_dict() for t in test_pipeline],
        base_epochs=base_epochs(source),
        preset=preset or _preset(task, train_pipeline),
        channel_order=channel_order,
        base=base)
