"""A DDAS search config and a retraining config from a user's config.

``generate_ddas_configs('mmdet::fcos/...py')`` writes two configs that
inherit the given one through ``_base_``: a search on a proxy split of its
training set and a retraining that replays the searched policy. Where the
policy goes in the pipeline, and what the search keeps of it, is
:mod:`ddas_mm.config_gen.pipeline_rules`.
"""
import math
import os.path as osp
from typing import Dict, List, NamedTuple, Optional

from mmengine.config import Config

from ddas_mm.fileio import write_atomically
from ddas_mm.ops import PRESETS
from ddas_mm.policy import defaults
from ddas_mm.policy.schedule import POLICY_FILENAME
from ddas_mm.config_text import Code, config_text, type_name
from . import dataset_tree
from . import pipeline_rules as rules
from . import roles as R
from .dataset_tree import SplitPlan
from .schedules import base_epochs, stretched_schedulers
from .source import ConfigError, ConfigSource
from .walker import Keys, SamplePath, leaf_datasets, train_paths

TASKS = {'mmdet': 'detection', 'mmpretrain': 'classification'}
LIBRARIES = {'detection': 'mmdet', 'classification': 'mmpretrain'}
# Classification images up to this side get the 'cifar' preset, larger
# ones 'imagenet' (the paper's two classification settings).
CIFAR_MAX_SIDE = 64
# The weight decay SGD users of each library and preset train with (mmdet's
# and mmpretrain's ImageNet schedules, mmpretrain's CIFAR one); the search
# takes it when it replaces another optimizer by SGD.
SGD_WEIGHT_DECAY = {'coco': 1e-4, 'imagenet': 1e-4, 'cifar': 5e-4}
# The written rule for S_train, in every generated search config.
S_TRAIN_RULE = (
    'S_train is the retraining pipeline without the policy (loading, '
    'resize, crop, flip ... in the retraining\'s order), less what cannot '
    'run before the search\'s ops, which run on uint8 batches after the '
    'whole pipeline: transforms after the policy point that leave a float '
    'image or mix images, and other augmentation policies. S_val is the '
    'test pipeline with the annotations loaded before any resize, run '
    'without the model\'s batch augments.')


class ConfigFacts(NamedTuple):
    """What the generated configs are made from."""
    source: ConfigSource
    task: str
    paths: List[SamplePath]  # every training sample path (walker)
    plan: SplitPlan  # where the proxy split goes
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


def _check_float(source: ConfigSource, path: SamplePath) -> None:
    transform = rules.float_before_policy(path)
    if transform is None:
        return
    kind = type_name(transform)
    pattern = (r'to_float32\s*=\s*True' if transform.get('to_float32')
               else rf"['\"]{kind}['\"]")
    raise source.error(
        f'{kind} leaves a float image before the policy point (after the '
        f'last transform that sets the image size): the searched ops work '
        f'on uint8 images, in the search and in retraining.', pattern,
        'keep the image uint8 up to the last resize or crop: drop '
        'to_float32=True and move photometric transforms after the resize '
        '(the data preprocessor converts the batch); RandomCenterCropPad '
        'needs float images and cannot be searched through.')


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


def _preset(task: str, transforms: List[dict]) -> str:
    if task == 'detection':
        return 'coco'
    side = rules.image_side(transforms)
    return 'cifar' if side is not None and side <= CIFAR_MAX_SIDE else \
        'imagenet'


def _imports(source: ConfigSource) -> Code:
    if source.cfg.get('custom_imports'):
        return Code("dict(imports=_base_.custom_imports.imports + "
                    "['ddas_mm'], allow_failed_imports=False)")
    return Code("dict(imports=['ddas_mm'], allow_failed_imports=False)")


def _segment_names(path: SamplePath, prefix: str) -> Dict[Keys, str]:
    """Variable names for the pipelines of a path: ``<prefix>_pipeline``
    for the dataset's, ``<prefix>_mix_pipeline`` for a mixing wrapper's and
    ``ddas_switch_pipeline`` for a hook's."""
    names = {}
    for number, segment in enumerate(path.segments):
        if segment.keys[0] == 'custom_hooks':
            names[segment.keys] = 'ddas_switch_pipeline'
        else:
            names[segment.keys] = f'{prefix}_mix_pipeline' if number else \
                f'{prefix}_pipeline'
    return names


def _sgd(facts: ConfigFacts, sgd_lr: float, notes: List[str]) -> dict:
    """The search's SGD, with the weight decay an SGD user of the library
    trains with (the config's own where it uses SGD)."""
    optimizer = facts.source.cfg.optim_wrapper.optimizer
    kind = type_name(optimizer)
    if kind == 'SGD':
        weight_decay = optimizer.get('weight_decay', 0)
        notes.append(f'the search uses SGD at lr {sgd_lr}, momentum 0.9 and '
                     f'the config\'s weight decay {weight_decay}.')
    else:
        weight_decay = SGD_WEIGHT_DECAY[facts.preset]
        notes.append(
            f'the search uses SGD (lr {sgd_lr}, momentum 0.9, weight decay '
            f'{weight_decay}, {LIBRARIES[facts.task]}\'s for SGD on '
            f'{facts.preset}-like data) in place of {kind} (weight decay '
            f'{optimizer.get("weight_decay", 0)}), which retraining keeps.')
    return dict(optimizer=dict(_delete_=True, type='SGD', lr=sgd_lr,
                               momentum=0.9, weight_decay=weight_decay))


def _search_datasets(facts: ConfigFacts, notes: List[str]) -> tuple:
    """S_train's pipelines, the train_dataloader's dataset and S_val's
    dataset (source text)."""
    cfg, plan = facts.source.cfg, facts.plan
    path = facts.paths[0]
    rewritten = rules.search_train_pipelines(path)
    dropped = [k for k in rewritten.removed
               if k not in [type_name(t) for t in path.transforms
                            if R.POLICY in R.roles(t)]]
    if dropped:
        notes.append(
            f'S_train drops {", ".join(dropped)}: after the policy point '
            f'they leave a float image or mix images, and the search\'s '
            f'ops run on uint8 batches after the whole pipeline.')
    replaced = [k for k in rewritten.removed if k not in dropped]
    if replaced:
        notes.append(f'S_train leaves out {", ".join(replaced)}: the '
                     f'searched policy takes its place.')
    if plan.left_out:
        notes.append(f'the search splits the dataset inside '
                     f'{", ".join(plan.left_out)}; the search sets its own '
                     f'length.')
    names = _segment_names(path, 'search_train')
    pipelines = [(names[s.keys], p)
                 for s, p in zip(path.segments, rewritten.pipelines)]
    leaf_name = names[path.segments[0].keys] if path.segments else None
    leaves = dataset_tree.leaf_pipeline_keys(cfg, plan.split_keys)
    train = Code("dict(proxy, split='train', dataset=" +
                 dataset_tree.with_pipelines(
                     cfg, plan.split_keys,
                     {k: leaf_name for k in leaves}) + ')')
    if plan.mix_keys is not None:
        train = Code(f'dict({dataset_tree.reference(plan.mix_keys)}, '
                     f'dataset={train}, '
                     f'pipeline={names[(*plan.mix_keys, "pipeline")]})')
    val = Code("dict(proxy, split='val', dataset=" +
               dataset_tree.with_pipelines(
                   cfg, plan.split_keys,
                   {k: 'search_val_pipeline' for k in leaves}) + ')')
    return pipelines, train, val


def _search_config(facts: ConfigFacts, num_train: int, num_val: int,
                   num_classes: Optional[int], epochs: int,
                   sgd_lr: Optional[float], notes: List[str]) -> str:
    cfg = facts.source.cfg
    pipelines, train_set, val_set = _search_datasets(facts, notes)
    s_val = rules.search_val_pipeline(
        facts.test_pipeline,
        rules.annotation_loaders(facts.paths[0].transforms))
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
        f"{loader_refs}, dataset={val_set})")
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
    train_loader = train_set[:-1] + ', _delete_=True)'
    assignments = [
        ('_base_', [facts.base]),
        ('custom_imports', _imports(facts.source)),
        *pipelines,
        ('search_val_pipeline', s_val),
        ('proxy', proxy),
        ('train_dataloader', Code(f'dict(dataset={train_loader})')),
        ('train_cfg', train_cfg),
        ('param_scheduler',
         stretched_schedulers(cfg.get('param_scheduler'), epochs,
                              facts.base_epochs)),
        # The user's own hooks are for the final model; the search trains a
        # network it throws away (and a pipeline-switching hook would
        # replace S_train's pipeline).
        ('custom_hooks', [dict(type='DDASPolicyHook')]),
    ]
    if cfg.get('randomness', {}).get('seed') is None:
        # A resumed search repeats the uninterrupted one only with a seed:
        # without one, the samplers of S_train and S_val are built with a
        # new seed before the resume restores the checkpoint's.
        assignments.append(('randomness', dict(seed=0)))
        notes.append('the search is seeded (randomness.seed=0), so that '
                     '--resume repeats the uninterrupted search.')
    if sgd_lr is not None:
        assignments.append(('optim_wrapper', _sgd(facts, sgd_lr, notes)))
    header = (
        f'DDAS search generated from {facts.source.name} by '
        f'tools/misc/ddas_configs.py: {facts.task}, the {facts.preset!r} '
        f'space, {facts.channel_order.upper()} images, S_train {num_train} / '
        f'S_val {num_val} images of the training set, {epochs} epochs '
        f'({epochs * _batches(num_train, num_classes, facts)} policy steps on '
        f'one GPU), '
        f'the schedule stretched from {facts.base_epochs} epochs.\n' +
        S_TRAIN_RULE + '\n' + ''.join(f'- {n}\n' for n in notes))
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


def _retrain_pipelines(facts: ConfigFacts, augment: dict,
                       notes: List[str]) -> Dict[Keys, list]:
    """Every training pipeline that changes, by its keys: the policy at
    its point, other augmentation policies out."""
    changed, replaced = {}, []
    for path in facts.paths:
        rewritten = rules.retrain_pipelines(path, augment)
        replaced += [k for k in rewritten.removed if k not in replaced]
        changed.update((s.keys, p) for s, p in zip(path.segments,
                                                   rewritten.pipelines)
                       if p != s.transforms)
    if replaced:
        notes.append(f'retraining replaces {", ".join(replaced)} with the '
                     f'searched policy.')
    return changed


def _retrain_hooks(cfg, names: Dict[Keys, str]) -> list:
    """The config's custom hooks, switched pipelines replaced, and
    DDASPolicyHook."""
    hooks = []
    for index, _ in enumerate(cfg.get('custom_hooks') or []):
        keys = ('custom_hooks', index, 'switch_pipeline')
        ref = dataset_tree.reference(keys[:2])
        hooks.append(Code(f'dict({ref}, switch_pipeline={names[keys]})'
                          if keys in names else ref))
    return hooks + [dict(type='DDASPolicyHook')]


def _retrain_config(facts: ConfigFacts, policy: str,
                    notes: List[str]) -> str:
    augment = dict(
        type='DynamicDDASAugment',
        policy=Code('ddas_policy'),
        smooth=defaults.SMOOTH,
        channel_order=facts.channel_order)
    changed = _retrain_pipelines(facts, augment, notes)
    names = {}
    for path in facts.paths:
        names.update(_segment_names(path, 'ddas_train'))
    names = {k: v for k, v in names.items() if k in changed}
    cfg = facts.source.cfg
    assignments = [
        ('_base_', [facts.base]),
        ('custom_imports', _imports(facts.source)),
        ('ddas_policy', policy),
        *{names[k]: p for k, p in changed.items()}.items(),
        ('train_dataloader',
         dict(dataset=dataset_tree.with_pipelines(
             cfg, ('train_dataloader', 'dataset'), names))),
        ('custom_hooks', _retrain_hooks(cfg, names)),
    ]
    header = (f'{facts.source.name} retrained with a DDAS policy, generated '
              f'by tools/misc/ddas_configs.py: DynamicDDASAugment right '
              f'after the transform that sets the image size, where the '
              f'search applied its ops, in every pipeline the training '
              f"uses; p_tp smoothed as the authors' "
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
    notes: List[str] = []
    facts = _facts(source, task, preset, channel_order, out_dir, notes)
    _check_optimizer(source, sgd_lr)
    search_name = f'{source.stem}_ddas_search'
    policy = policy or osp.join('work_dirs', search_name, POLICY_FILENAME)
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


def _test_pipeline(source: ConfigSource) -> List[dict]:
    for loader in ('val_dataloader', 'test_dataloader'):
        dataset = (source.cfg.get(loader) or {}).get('dataset')
        if dataset:
            return list(leaf_datasets(dataset)[0].get('pipeline', []))
    if source.cfg.get('test_pipeline') is None:
        raise source.error(
            'no test pipeline (val_dataloader, test_dataloader or '
            'test_pipeline): S_val needs a deterministic one.',
            r'val_dataloader', 'give the config a val_dataloader.')
    return list(source.cfg.test_pipeline)


def _facts(source: ConfigSource, task: str, preset: Optional[str],
           channel_order: Optional[str], out_dir: str,
           notes: List[str]) -> ConfigFacts:
    """Read and check what the generated configs are made from."""
    if not source.cfg.get('train_dataloader'):
        raise source.error('the config has no train_dataloader.',
                           r'train_dataloader',
                           'generate from a training config.')
    plan = dataset_tree.split_plan(source, ('train_dataloader', 'dataset'))
    paths = train_paths(source.cfg.to_dict())
    for path in paths:
        _check_float(source, path)
    unknown = sorted({k for path in paths for k in rules.unknown_types(path)})
    if unknown:
        notes.append(f'kept where they are, of roles unknown to the '
                     f'generator: {", ".join(unknown)}; check that they '
                     f'keep a uint8 image.')
    transforms = paths[0].transforms
    leaf = leaf_datasets(source.cfg.train_dataloader.dataset)[0]
    channel_order = channel_order or rules.channel_order(
        transforms, type_name(leaf))
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
        paths=paths,
        plan=plan,
        test_pipeline=_test_pipeline(source),
        base_epochs=base_epochs(source),
        preset=preset or _preset(task, transforms),
        channel_order=channel_order,
        base=base)
