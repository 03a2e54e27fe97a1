"""Search, retrain every arm for every seed, test: a policy comparison.

An experiment file is an mmengine config with these keys:

- ``search`` (str): the search config; the search runs first when its
  policy file is missing or short of epochs (and resumes when it stopped);
- ``retrain`` (str): the retraining config, with a ``DynamicDDASAugment``
  in its train pipeline;
- ``arms`` (list[str]): see :mod:`ddas_mm.experiment.arms`;
- ``seeds`` (list[int]): one run per arm and seed;
- ``metric`` (str): the test metric compared, e.g. ``'accuracy/top1'``;
- ``search_cfg_options``, ``retrain_cfg_options`` (dict, optional): applied
  as ``--cfg-options`` to the search and to every retraining, with dotted
  keys (``'train_cfg.max_epochs': 2``), nested dicts (``train_cfg=dict(
  max_epochs=2)``) or both (see :mod:`ddas_mm.experiment.cfg_options`);
- ``custom_arms`` (dict, optional): arm name to the transforms that replace
  the ``DynamicDDASAugment``;
- ``check_dead_head`` (bool, optional): for single-stage detectors, check
  each run's last checkpoint for a dead classification branch (see
  :mod:`ddas_mm.experiment.head_activity`); a run whose branch died is a
  failed run, its metric kept in its result. Runs that finished before the
  key was set are checked when the harness starts again, where their
  checkpoint is still there.

Paths in the file are relative to the directory the tool runs in, as the
paths of ``tools/train.py``. Every run goes through the entry points of
``tools/train.py`` and ``tools/test.py`` (``python -m ddas_mm.tools.train``,
under torchrun with several processes, as ``tools/dist_train.sh``), so it
works where ddas_mm is installed as a package, in a process of its own:
trained, tested on the test set, and
tested again on its own training data without augmentation (the training
pipeline's dataset with the test pipeline), which tells how far each arm
fits its training set. Its ``result.json`` is the record that it finished,
so an interrupted experiment continues where it stopped: finished runs are
kept, a stopped one resumes from its last checkpoint (see :func:`run_one`).

A run whose test gives no value of the metric (a detector whose training
diverged detects nothing, and mmdet's ``CocoMetric`` then returns no mAP),
or whose classification branch died when ``check_dead_head`` is set, is a
failed run: its result says why, the report lists it and leaves it out
of every statistic, and the other runs go on. Delete its folder to run it
again.
"""
import copy
import hashlib
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Callable, Dict, List, NamedTuple, Optional

from mmengine.config import Config

from ddas_mm.config_gen.pipeline_rules import is_random
from ddas_mm.config_gen.walker import leaf_datasets
from ddas_mm.fileio import write_atomically, write_json
from ddas_mm.policy.schedule import POLICY_FILENAME, records_every_epoch
from .arms import (WITHOUT_RANDOM_TRANSFORMS, arm_transforms, check_arm,
                   replays_the_search)
from .cfg_options import cfg_options_arguments, dotted_options
from .head_activity import DEAD, HeadActivity, classification_convs

REQUIRED = {'search': str, 'retrain': str, 'arms': list, 'seeds': list,
            'metric': str}
OPTIONAL = {'search_cfg_options': dict, 'retrain_cfg_options': dict,
            'custom_arms': dict, 'check_dead_head': bool}
RESULT_FILE = 'result.json'
# The digest of the config a run's folder was started with.
RUN_FILE = 'run.json'
# How mmengine's LoggerHook writes a loss that is not finite.
NON_FINITE_LOSS = re.compile(r'\bloss: -?(nan|inf)\b')


class Run(NamedTuple):
    """One retraining: an arm, a seed and its folder."""
    arm: str
    seed: int
    work_dir: str


def _fail(path: str, problem: str):
    raise ValueError(f'Experiment {path}: {problem}')


def load_experiment(path: str) -> Config:
    """Read an experiment file and check it, before anything runs.

    Args:
        path (str): the experiment file.

    Returns:
        Config: the experiment.

    Raises:
        ValueError: naming the file, the key and the fix.
    """
    if not osp.isfile(path):
        raise ValueError(f'Experiment file {path} does not exist.')
    experiment = Config.fromfile(path)
    for key, kind in {**REQUIRED, **OPTIONAL}.items():
        if key not in experiment:
            if key in REQUIRED:
                _fail(path, f'"{key}" is missing; an experiment needs '
                      f'{sorted(REQUIRED)}.')
            continue
        if not isinstance(experiment[key], kind):
            _fail(path, f'"{key}" must be a {kind.__name__}, got '
                  f'{type(experiment[key]).__name__}.')
    for key in ('search', 'retrain'):
        if not osp.isfile(experiment[key]):
            _fail(path, f'the {key} config {experiment[key]} does not '
                  f'exist (paths are relative to {os.getcwd()}).')
    if not experiment.arms or not experiment.seeds:
        _fail(path, '"arms" and "seeds" must not be empty.')
    if any(isinstance(s, bool) or not isinstance(s, int)
           for s in experiment.seeds):
        _fail(path, f'"seeds" must be integers, got {experiment.seeds}.')
    if len(set(experiment.arms)) != len(experiment.arms):
        _fail(path, f'"arms" repeats an arm: {experiment.arms}.')
    for arm in experiment.arms:
        try:
            check_arm(arm, experiment.get('custom_arms'))
        except ValueError as err:
            _fail(path, str(err))
    return experiment


def _is_augment(value) -> bool:
    return isinstance(value, dict) and value.get(
        'type') == 'DynamicDDASAugment'


def _replace_augment(node,
                     make: Callable[[dict], List[dict]],
                     drop_random: bool = False):
    """Put ``make(augment)`` in place of every DynamicDDASAugment of a
    pipeline list, anywhere in the config; with ``drop_random``, the
    pipeline's other random transforms go too."""
    if isinstance(node, dict):
        return type(node)({k: _replace_augment(v, make, drop_random)
                           for k, v in node.items()})
    if isinstance(node, (list, tuple)):
        in_pipeline = drop_random and any(_is_augment(v) for v in node)
        out = []
        for value in node:
            if _is_augment(value):
                out.extend(make(value))
            elif not (in_pipeline and isinstance(value, dict)
                      and 'type' in value and is_random(value)):
                out.append(_replace_augment(value, make, drop_random))
        return type(node)(out)  # a scale stays a tuple
    return node


def _config_with(path: str, options: dict) -> Config:
    """A config file with options merged in as ``--cfg-options`` merges
    them (see :mod:`ddas_mm.experiment.cfg_options`)."""
    cfg = Config.fromfile(path)
    cfg.merge_from_dict(dotted_options(options))
    return cfg


class Experiment:
    """A policy comparison laid out in a work dir.

    Args:
        path (str): the experiment file.
        work_dir (str, optional): where everything goes; defaults to
            ``work_dirs/<experiment file name>``.
    """

    def __init__(self, path: str, work_dir: Optional[str] = None):
        self.path = path
        self.cfg = load_experiment(path)
        name = osp.splitext(osp.basename(path))[0]
        self.work_dir = osp.abspath(work_dir or osp.join('work_dirs', name))
        self.search_dir = osp.join(self.work_dir, 'search')
        self.policy_file = osp.join(self.search_dir, POLICY_FILENAME)
        # One set of dotted options for the search config read here and for
        # the search tools/train.py runs.
        self.search_options = dotted_options(
            self.cfg.get('search_cfg_options', {}))
        try:
            self.search_arguments = cfg_options_arguments(
                self.search_options)
        except ValueError as err:
            _fail(path, f'"search_cfg_options": {err}')
        retrain = _config_with(self.cfg.retrain,
                               self.cfg.get('retrain_cfg_options', {}))
        found = []
        _replace_augment(retrain.get('train_dataloader'),
                         lambda augment: found.append(augment) or [augment])
        if not found:
            _fail(path, f'the retrain config {self.cfg.retrain} has no '
                  f'DynamicDDASAugment in its train pipeline; the arms '
                  f'replace it.')
        self.retrain = retrain
        self.task = ('detection' if retrain.get('default_scope') == 'mmdet'
                     else 'classification')
        if self.cfg.get('check_dead_head'):
            self._check_head_is_checkable()
        for arm in self.cfg.arms:  # e.g. trivialaugment for detection
            try:
                self.arm_config(arm, self.cfg.seeds[0])
            except ValueError as err:
                _fail(path, str(err))

    def _check_head_is_checkable(self) -> None:
        """Refuse ``check_dead_head`` for a model without stacked
        classification convs, before any run trains."""
        from mmengine.registry import MODELS, init_default_scope
        if self.task != 'detection':
            _fail(self.path, f'"check_dead_head" is for single-stage '
                  f'detectors; {self.cfg.retrain} is not an mmdet config. '
                  f'Remove the key.')
        init_default_scope('mmdet')
        try:
            classification_convs(MODELS.build(self.retrain.model))
        except ValueError as err:
            _fail(self.path, f'"check_dead_head": {err} Remove the key.')

    # --------------------------------------------------------------- runs
    @property
    def runs(self) -> List[Run]:
        """Every (arm, seed) run, seed by seed: an experiment stopped part
        of the way has every arm of its first seeds, so its differences are
        paired."""
        return [
            Run(arm, seed,
                osp.join(self.work_dir, 'runs', arm, f'seed{seed}'))
            for seed in self.cfg.seeds for arm in self.cfg.arms
        ]

    def arm_config(self, arm: str, seed: int) -> Config:
        """The retraining config of one run: the arm's transforms where the
        DynamicDDASAugment was, the searched policy, the seed."""
        cfg = copy.deepcopy(self.retrain)

        def make(augment: dict) -> List[dict]:
            augment = dict(augment, policy=self.policy_file)
            return arm_transforms(arm, augment, self.task,
                                  self.cfg.get('custom_arms'))

        # Everywhere, the config's pipeline variables included.
        for key in list(cfg.keys()):
            cfg[key] = _replace_augment(cfg[key], make,
                                        arm in WITHOUT_RANDOM_TRANSFORMS)
        cfg.randomness = dict(cfg.get('randomness', {}), seed=seed)
        return cfg

    def train_test_config(self, arm: str, seed: int) -> Config:
        """A run's config whose test data is its training data (the same
        images, with the test pipeline, no augmentation) and whose test
        evaluator reads the training annotations (COCO's metric evaluates
        every image of its annotation file).

        The training dataset keeps its own ``test_mode``: mmpretrain's
        MNIST-like datasets read their test files in test mode, whatever
        their split.
        """
        cfg = self.arm_config(arm, seed)
        # RepeatDataset and the like opened: the first dataset they hold.
        train_set = leaf_datasets(cfg.train_dataloader.dataset)[0]
        test_set = cfg.test_dataloader.dataset
        cfg.test_dataloader.dataset = dict(train_set,
                                           pipeline=test_set.pipeline)
        evaluators = cfg.test_evaluator if isinstance(
            cfg.test_evaluator, list) else [cfg.test_evaluator]
        for evaluator in evaluators:
            if evaluator.get('ann_file') is not None:
                evaluator['ann_file'] = osp.join(
                    train_set.get('data_root', ''), train_set.ann_file)
        return cfg

    @property
    def needs_search(self) -> bool:
        """Whether an arm replays the searched policy."""
        return any(replays_the_search(arm) for arm in self.cfg.arms)

    def search_done(self) -> bool:
        """Whether the policy file holds every search epoch."""
        search = _config_with(self.cfg.search, self.search_options)
        return records_every_epoch(self.policy_file,
                                   search.train_cfg.max_epochs)

    def finished(self) -> Dict[Run, dict]:
        """The runs whose result files exist, with their results."""
        done = {}
        for run in self.runs:
            path = osp.join(run.work_dir, RESULT_FILE)
            if osp.isfile(path):
                with open(path) as f:
                    done[run] = json.load(f)
        return done


class ToolLauncher:
    """Runs the training and testing entry points as a user would.

    Args:
        gpus (int): processes per run; more than 1 start under torchrun
            (``--launcher pytorch``), as ``tools/dist_train.sh`` and
            ``dist_test.sh`` do, on the port in ``PORT`` (29500 unless set).
        env (dict, optional): more environment variables for the tools.
    """

    def __init__(self, gpus: int = 1, env: Optional[dict] = None):
        self.gpus = gpus
        self.env = dict(os.environ, **(env or {}))

    def _command(self, tool: str, *args, distributed: bool) -> List[str]:
        module = ['-m', f'ddas_mm.tools.{tool}']
        if distributed and self.gpus > 1:
            return [
                sys.executable, '-m', 'torch.distributed.run',
                f'--nproc_per_node={self.gpus}', '--master_addr=127.0.0.1',
                f'--master_port={self.env.get("PORT", "29500")}', *module,
                *args, '--launcher', 'pytorch'
            ]
        return [sys.executable, *module, *args]

    def run(self, tool: str, *args, log: str, exit_codes=(0, ),
            distributed: bool = True) -> int:
        """Run a tool, its output appended to ``log`` (a resumed run keeps
        what it wrote before).

        Args:
            tool (str): a module of ``ddas_mm.tools``.
            *args: its arguments.
            log (str): the file its output is appended to.
            exit_codes (tuple[int]): the exit statuses that are answers,
                not failures.
            distributed (bool): whether it runs in ``gpus`` processes (a
                check of one checkpoint runs in one).

        Returns:
            int: its exit status.

        Raises:
            RuntimeError: another exit status, with the end of ``log``.
        """
        os.makedirs(osp.dirname(log), exist_ok=True)
        with open(log, 'a') as out:
            code = subprocess.run(
                self._command(tool, *args, distributed=distributed),
                env=self.env, stdout=out,
                stderr=subprocess.STDOUT).returncode
        if code not in exit_codes:
            with open(log) as f:
                tail = f.read()[-3000:]
            raise RuntimeError(f'{tool} failed (exit {code}); the end of '
                               f'{log}:\n{tail}')
        return code


def run_search(experiment: Experiment, launcher: ToolLauncher) -> float:
    """Run (or resume) the search unless its policy file is complete.

    Returns:
        float: seconds it took here (0 if it was done before or no arm
        needs it).
    """
    if not experiment.needs_search or experiment.search_done():
        return 0.0
    start = time.time()
    options = experiment.search_arguments
    launcher.run('train', experiment.cfg.search, '--work-dir',
                 experiment.search_dir, '--resume',
                 *(['--cfg-options', *options] if options else []),
                 log=osp.join(experiment.search_dir, 'search.log'))
    if not experiment.search_done():
        raise RuntimeError(f'The search ended without a complete policy '
                           f'file {experiment.policy_file}.')
    seconds = time.time() - start
    write_json(osp.join(experiment.search_dir, 'search_time.json'),
               dict(seconds=seconds))
    return seconds


def _last_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint mmengine's ``last_checkpoint`` file in a run's folder
    names; None when there is none."""
    try:
        with open(osp.join(work_dir, 'last_checkpoint')) as f:
            return f.read().strip()
    except FileNotFoundError:
        return None


def _resumable(work_dir: str, config_digest: str) -> bool:
    """Whether a run's folder holds a checkpoint of a training started with
    this config (``config.py`` there is the runner's own dump of it, with
    the work dir and launcher added), which ``--resume`` continues."""
    if _last_checkpoint(work_dir) is None:
        return False
    try:
        with open(osp.join(work_dir, RUN_FILE)) as f:
            return json.load(f).get('config_sha256') == config_digest
    except FileNotFoundError:
        return False


def run_one(experiment: Experiment, run: Run,
            launcher: ToolLauncher) -> dict:
    """Retrain and test one arm and seed, on the test set and on its own
    training data.

    A run stopped part of the way resumes from its last checkpoint (as often
    as the config's ``CheckpointHook`` saves one) when its config is
    unchanged, and is redone otherwise. After a resume the augmentation
    draws differ from an uninterrupted run's: mmengine's dataloader workers
    start from their seed again.

    Returns:
        dict: the run's result (also in its ``result.json``): ``value``, the
        test metric, ``train_value``, the same metric on the training data,
        ``failure``, why the run failed (None when it did not), ``head``,
        the classification branch's ``dead_share`` and ``score_spread`` at
        the end (None unless ``check_dead_head`` is set and the test gave a
        value), and ``resumed``, whether the
        training continued a stopped one (``wall_time`` then counts the
        last part only).
    """
    config = osp.join(run.work_dir, 'config.py')
    # Config.dump's text, formatted once (yapf takes seconds on a large one).
    config_text = experiment.arm_config(run.arm, run.seed).pretty_text
    digest = hashlib.sha256(config_text.encode()).hexdigest()
    resumed = _resumable(run.work_dir, digest)
    if not resumed:
        shutil.rmtree(run.work_dir, ignore_errors=True)
        os.makedirs(run.work_dir)
        write_json(osp.join(run.work_dir, RUN_FILE),
                   dict(config_sha256=digest))
    # Written again on a resume: the runner's dump replaced it.
    write_atomically(config, config_text)
    start = time.time()
    launcher.run('train', config, '--work-dir', run.work_dir,
                 *(['--resume'] if resumed else []),
                 log=osp.join(run.work_dir, 'train.log'))
    checkpoint = _last_checkpoint(run.work_dir)
    train_config = osp.join(run.work_dir, 'train_test_config.py')
    experiment.train_test_config(run.arm, run.seed).dump(train_config)
    values = {
        key: _test(experiment, launcher, config_file, checkpoint,
                   osp.join(run.work_dir, name))
        for key, config_file, name in (('value', config, 'test'),
                                       ('train_value', train_config,
                                        'train_test'))
    }
    head = None
    if experiment.cfg.get('check_dead_head') and values['value'] is not None:
        head = check_head(launcher, config, checkpoint, run.work_dir)
    failure = _failure(run.work_dir, experiment.cfg.metric, values['value'],
                       head)
    result = dict(arm=run.arm, seed=run.seed, metric=experiment.cfg.metric,
                  **values, failure=failure,
                  head=None if head is None else head._asdict(),
                  wall_time=time.time() - start, resumed=resumed,
                  policy=experiment.policy_file)
    write_json(osp.join(run.work_dir, RESULT_FILE), result)
    return result


def check_head(launcher: ToolLauncher, config: str, checkpoint: str,
               work_dir: str) -> HeadActivity:
    """The classification branch of a run's checkpoint, measured by
    ``tools/analysis/dead_head.py`` in a process of its own.

    Args:
        launcher (ToolLauncher): runs the tool.
        config (str): the run's config.
        checkpoint (str): its checkpoint.
        work_dir (str): the run's folder; ``head.json`` and
            ``dead_head.log`` go there.

    Returns:
        HeadActivity: the branch's dead share and score spread.
    """
    out = osp.join(work_dir, 'head.json')
    launcher.run('dead_head', config, checkpoint, '--out', out,
                 log=osp.join(work_dir, 'dead_head.log'),
                 exit_codes=(0, DEAD), distributed=False)
    with open(out) as f:
        return HeadActivity(**json.load(f))


def check_finished_run(experiment: Experiment, run: Run, result: dict,
                       launcher: ToolLauncher) -> Optional[dict]:
    """Check a run that finished before ``check_dead_head`` was set, from
    its last checkpoint, and record the outcome in its ``result.json``.

    Returns:
        dict, optional: the result, checked; None when there is nothing to
        check (no ``check_dead_head``, no value, checked already) or
        nothing to check it on (its checkpoint is gone).
    """
    if (not experiment.cfg.get('check_dead_head')
            or result['value'] is None or result.get('head') is not None):
        return None
    checkpoint = _last_checkpoint(run.work_dir)
    if checkpoint is None or not osp.isfile(checkpoint):
        return None
    head = check_head(launcher, osp.join(run.work_dir, 'config.py'),
                      checkpoint, run.work_dir)
    result = dict(result, head=head._asdict(),
                  failure=_failure(run.work_dir, experiment.cfg.metric,
                                   result['value'], head))
    write_json(osp.join(run.work_dir, RESULT_FILE), result)
    return result


def _test(experiment: Experiment, launcher: ToolLauncher, config: str,
          checkpoint: str, work_dir: str) -> Optional[float]:
    """The experiment's metric of a checkpoint, by tools/test.py; None when
    the test gives none (:func:`check_metric` made sure that the evaluator
    gives it for a network that predicts something)."""
    metrics_file = work_dir + '_metrics.json'
    launcher.run('test', config, checkpoint, '--work-dir', work_dir,
                 '--metrics-out', metrics_file, log=work_dir + '.log')
    with open(metrics_file) as f:
        metrics = json.load(f)
    metric = experiment.cfg.metric
    return float(metrics[metric]) if metric in metrics else None


def _failure(work_dir: str, metric: str, value: Optional[float],
             head: Optional[HeadActivity]) -> Optional[str]:
    """Why a run failed, for the report; None when it did not.

    Args:
        work_dir (str): the run's folder.
        metric (str): the experiment's metric.
        value (float, optional): the run's test value of it.
        head (HeadActivity, optional): its classification branch at the
            end, when the experiment checks it.
    """
    if value is None:
        with open(osp.join(work_dir, 'train.log')) as f:
            diverged = NON_FINITE_LOSS.search(f.read())
        cause = ('its training diverged (a loss of '
                 f'{diverged.group(1)} in train.log)' if diverged else
                 'see test.log')
        return f'the test gave no {metric}: {cause}'
    if head is not None and head.dead:
        shares = ', '.join(f'{share:.3f}' for share in head.dead_share)
        return (f'its classification branch is dead at the end ('
                f'activations <= 0 per conv: {shares}; class score spread '
                f'between images: {head.score_spread:.3g}), its {metric} '
                f'{value:.4f} left out')
    return None


def check_metric(experiment: Experiment, num_samples: int = 4) -> None:
    """Test the untrained network of the first run on a few test samples and
    check that the evaluator gives the experiment's metric.

    Raises:
        ValueError: naming the metric, the keys there are and the fix.
    """
    from mmengine.runner import Runner
    cfg = experiment.arm_config('none', experiment.cfg.seeds[0])
    cfg.test_dataloader.dataset.indices = num_samples
    cfg.test_dataloader.batch_size = num_samples
    cfg.test_dataloader.num_workers = 0
    cfg.test_dataloader.persistent_workers = False
    cfg.log_level = 'WARNING'
    cfg.load_from = None
    with tempfile.TemporaryDirectory() as work_dir:
        cfg.work_dir = work_dir
        metrics = Runner.from_cfg(cfg).test()
    if experiment.cfg.metric not in metrics:
        _fail(experiment.path, f'the retrain config\'s test evaluator gives '
              f'{sorted(metrics)}, not "metric" = '
              f'{experiment.cfg.metric!r}; pick one of those.')
