"""The dynamic offline policy: one DDAS policy per search epoch.

Paper §3.5.4: the search saves a snapshot of the augmentation parameters
``p = (p_tp, p_o)`` after every epoch; retraining replays them, upsampled to
its own length by nearest-neighbour interpolation, with a 1-D mean filter of
size ``F_s`` on ``p_tp`` (Algorithm 1, line 17) against its fluctuations.

The policy file (``ddas_policy.json``, format ``ddas-policy/1``)::

    {"format": "ddas-policy/1",
     "space": {"num_ops": 2, "ops": [{"name": "Rotate", "level": 4}, ...]},
     "epochs": [{"epoch": 1, "p_tp": 0.34, "p_o": [0.015, ...]}, ...],
     "meta": {...}}

``epochs[e-1]`` is the policy at the END of search epoch ``e``, as the paper
defines the snapshots. The authors' released code saves each snapshot at the
START of its epoch instead (its first record is the initial policy: uniform
``p_o``, ``p_tp`` = init), so its record ``e`` is our record ``e - 1``: our
replay runs one search epoch ahead of theirs, and never replays the initial,
unsearched policy.
"""
import json
import math
import os.path as osp
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
import torch

from ddas_mm.fileio import write_atomically
from ddas_mm.ops import SearchSpace

POLICY_FORMAT = 'ddas-policy/1'
# The policy file's name in a search's work dir.
POLICY_FILENAME = 'ddas_policy.json'
# How a schedule can be replayed (see PolicySchedule.replayed).
REPLAY_MODES = ('dynamic', 'last', 'last_p_tp', 'last_p_o', 'initial')
# How far the sum of a record's p_o may be from 1: a float32 softmax written
# with full precision is within 1e-6; 1e-4 also admits hand-rounded files.
SUM_TOLERANCE = 1e-4
# Progress values are ratios of integers (epoch / max_epochs); this slack
# keeps e.g. 3 / 12 * 4 from flooring to 0.999... -> record 0.
_FLOOR_SLACK = 1e-9


def _as_float_array(values) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu()
    return np.asarray(values, dtype=np.float64)


def _check_p_tp(p_tp) -> Optional[str]:
    """Return what is wrong with a p_tp, or None if it is valid."""
    if isinstance(p_tp, bool) or not isinstance(p_tp, (int, float)):
        return f'p_tp must be a number, got {p_tp!r}'
    if not (math.isfinite(p_tp) and 0.0 <= p_tp <= 1.0):
        return f'p_tp must be a probability in [0, 1], got {p_tp!r}'
    return None


def _check_record(p_tp: float, p_o: np.ndarray,
                  num_candidates: int) -> Optional[str]:
    """Return what is wrong with one record, or None if it is valid."""
    problem = _check_p_tp(p_tp)
    if problem:
        return problem
    if p_o.ndim != 1 or p_o.size != num_candidates:
        return (f'p_o must have one probability per candidate op of the '
                f'space (K={num_candidates}), got shape {p_o.shape}')
    if not np.all(np.isfinite(p_o)):
        return 'p_o has non-finite values'
    if np.any(p_o < 0):
        return f'p_o has negative values (min {p_o.min():.6g})'
    if abs(p_o.sum() - 1.0) > SUM_TOLERANCE:
        return (f'p_o must sum to 1 (tolerance {SUM_TOLERANCE}), '
                f'sums to {p_o.sum():.6g}')
    return None


def _format_policy(content: Dict[str, Any]) -> str:
    """JSON with one line per top-level entry and per epoch record: a diff
    of two policy files shows which epochs changed."""
    epochs = ',\n  '.join(json.dumps(record) for record in content['epochs'])
    lines = [
        f'"format": {json.dumps(content["format"])}',
        f'"space": {json.dumps(content["space"])}',
        f'"epochs": [\n  {epochs}\n ]',
        f'"meta": {json.dumps(content["meta"])}',
    ]
    return '{' + ',\n '.join(lines) + '}\n'


class PolicySchedule:
    """Per-epoch DDAS policies over one search space, and their JSON file.

    Args:
        space (SearchSpace): the candidate ops ``p_o`` is defined over.
        meta (dict, optional): free-form provenance written with the file
            (config, number of policies, initial p_tp, seed ...).
        records (Iterable[tuple], optional): ``(p_tp, p_o)`` per search
            epoch, in order, each checked as :meth:`append` checks it.

    Example:
        >>> schedule = PolicySchedule(SearchSpace(preset='cifar'))
        >>> schedule.append(0.35, [1 / 68] * 68)        # after search epoch 1
        >>> schedule.dump('work_dirs/x/ddas_policy.json')
        >>> p_tp, p_o = PolicySchedule.load(path).policy_at(0.5)
    """

    def __init__(self,
                 space: SearchSpace,
                 meta: Optional[dict] = None,
                 records: Iterable[Tuple[Any, Any]] = ()):
        self.space = space
        self.meta = dict(meta or {})
        self._p_tp: List[float] = []
        self._p_o: List[np.ndarray] = []
        for p_tp, p_o in records:
            self.append(p_tp, p_o)

    # ------------------------------------------------------------ records
    def append(self, p_tp, p_o) -> None:
        """Record the policy at the end of the next search epoch.

        Args:
            p_tp (float | Tensor): total augmentation probability.
            p_o (Sequence[float] | ndarray | Tensor): K op probabilities.

        Raises:
            ValueError: if the record is not a valid policy of this space.
        """
        p_tp = float(_as_float_array(p_tp))
        p_o = _as_float_array(p_o)
        problem = _check_record(p_tp, p_o, self.space.K)
        if problem:
            raise ValueError(f'Policy for search epoch {len(self) + 1}: '
                             f'{problem}.')
        self._p_tp.append(p_tp)
        self._p_o.append(p_o)

    def __len__(self) -> int:
        return len(self._p_tp)

    @property
    def p_tp(self) -> np.ndarray:
        """ndarray: (T,) total augmentation probability per search epoch."""
        return np.asarray(self._p_tp, dtype=np.float64)

    @property
    def p_o(self) -> np.ndarray:
        """ndarray: (T, K) op probabilities per search epoch."""
        return np.stack(self._p_o) if self._p_o else np.zeros(
            (0, self.space.K))

    def _with_records(self, p_tp: Sequence[float],
                      p_o: Sequence[np.ndarray]) -> 'PolicySchedule':
        """A schedule of this space and meta with other records."""
        return PolicySchedule(self.space, self.meta, zip(p_tp, p_o))

    # ------------------------------------------------------------- replay
    def index(self, progress: float) -> int:
        """Return the record replayed at a point of the retraining.

        Nearest-neighbour upsampling (paper §3.5.4): record
        ``floor(progress * T)``, clamped to ``T - 1``. Over E retraining
        epochs, epoch ``e`` (0-based) replays record ``floor(e * T / E)``;
        with E >= T every record gets ``E / T`` epochs, as in the authors'
        code. With E < T it downsamples and skips records: a 30-epoch search
        replayed over 12 epochs replays records 0, 2, 5, 7, ..., 25, 27 and
        never 1, 3, 4, ... nor the last two, 28 and 29 (iteration-based
        progress reaches every record). :meth:`smoothed` averages ``p_tp``
        over all records before that, so skipped records still count there.

        Args:
            progress (float): fraction of retraining done, ``epoch /
                max_epochs`` (0-based epoch) or ``iter / max_iters``.

        Returns:
            int: index into the records, in ``[0, T - 1]``.
        """
        if not len(self):
            raise ValueError('The policy schedule has no records to replay.')
        if not (math.isfinite(progress) and progress >= 0):
            raise ValueError(f'progress must be a finite number >= 0, got '
                             f'{progress!r}')
        return min(int(math.floor(progress * len(self) + _FLOOR_SLACK)),
                   len(self) - 1)

    def policy_at(self, progress: float) -> Tuple[float, np.ndarray]:
        """Return ``(p_tp, p_o)`` replayed at ``progress`` (see :meth:`index`).
        """
        i = self.index(progress)
        return self._p_tp[i], self._p_o[i]

    def smoothed(self, size: int) -> 'PolicySchedule':
        """Return a copy with a 1-D mean filter of ``size`` on p_tp only.

        Paper §3.5.4 / Algorithm 1, line 17, as the authors' ``process_npy.py``
        does it: over the T search records (before upsampling to the
        retraining length), a forward window, record ``i`` the mean of
        records ``i .. i + size - 1``; where that window would run past the
        last record (``i > T - size``) the last full window's mean,
        ``mean(T - size .. T - 1)``, as the authors pad their filtered list
        with its last value. Every smoothed value is thus a mean of ``size``
        records, the last record's included, where a window shrinking at
        the end would leave the last record unsmoothed. With ``T < size``
        every record becomes the mean of all. ``size=1`` changes nothing;
        ``p_o`` is untouched.

        Args:
            size (int): the filter size ``F_s`` (>= 1).

        Returns:
            PolicySchedule: the smoothed schedule.
        """
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f'The smoothing size F_s must be an integer '
                             f'>= 1 (1 = no smoothing), got {size!r}')
        p_tp = self.p_tp
        last_start = max(len(self) - size, 0)
        return self._with_records([
            p_tp[start:start + size].mean()
            for start in np.minimum(np.arange(len(self)), last_start)
        ], self._p_o)

    def replayed(self, mode: str) -> 'PolicySchedule':
        """Return a copy that replays the records another way.

        The variants of the paper's Table 6 and the search's starting point:

        - ``'dynamic'``: the records as they are (this schedule);
        - ``'last'``: p_tp and p_o of the last search epoch at every record;
        - ``'last_p_tp'``: the last p_tp everywhere, p_o per epoch;
        - ``'last_p_o'``: the last p_o everywhere, p_tp per epoch;
        - ``'initial'``: the policy the search started from, uniform p_o
          and p_tp = ``meta['init_tp']``, at every record.

        Args:
            mode (str): one of :data:`REPLAY_MODES`.

        Returns:
            PolicySchedule: a schedule of as many records.
        """
        if mode not in REPLAY_MODES:
            raise ValueError(f'replay mode must be one of {REPLAY_MODES}, '
                             f'got {mode!r}')
        p_tp, p_o = self._p_tp, self._p_o
        if mode in ('last', 'last_p_tp'):
            p_tp = [self._p_tp[-1]] * len(self)
        if mode in ('last', 'last_p_o'):
            p_o = [self._p_o[-1]] * len(self)
        if mode == 'initial':
            if 'init_tp' not in self.meta:
                raise ValueError(
                    'The policy has no "init_tp" in its "meta" (the p_tp '
                    "the search started from), which replay mode 'initial' "
                    'needs: add it to the file, or replay a file the search '
                    'wrote.')
            p_tp = [float(self.meta['init_tp'])] * len(self)
            p_o = [np.full(self.space.K, 1 / self.space.K)] * len(self)
        return self._with_records(p_tp, p_o)

    def with_p_tp(self, p_tp: float) -> 'PolicySchedule':
        """Return a copy with a constant p_tp (the paper's Table 5), p_o per
        epoch as recorded."""
        problem = _check_p_tp(p_tp)
        if problem:
            raise ValueError(f'constant p_tp: {problem}')
        return self._with_records([p_tp] * len(self), self._p_o)

    # --------------------------------------------------------------- JSON
    def to_dict(self) -> Dict[str, Any]:
        """Return the policy file's content (format ``ddas-policy/1``)."""
        return {
            'format': POLICY_FORMAT,
            'space': self.space.to_dict(),
            'epochs': [{
                'epoch': e + 1,
                'p_tp': p_tp,
                'p_o': p_o.tolist()
            } for e, (p_tp, p_o) in enumerate(zip(self._p_tp, self._p_o))],
            'meta': self.meta,
        }

    def dump(self, path: str) -> None:
        """Write the policy file atomically (temp file + ``os.replace``).

        Readers (a retraining started meanwhile, a plotting tool) see either
        the previous file or the new one, never a partial write.

        Args:
            path (str): the file to write; missing folders are created.
        """
        write_atomically(path, _format_policy(self.to_dict()))

    @classmethod
    def from_dict(cls,
                  content: Any,
                  source: str = 'policy') -> 'PolicySchedule':
        """Build a schedule from a policy file's content, validating it.

        Args:
            content: the parsed JSON.
            source (str): where it came from, for error messages.

        Returns:
            PolicySchedule: the schedule.

        Raises:
            ValueError: naming ``source`` and the problem.
        """

        def fail(problem: str):
            raise ValueError(f'Invalid DDAS policy file {source}: {problem}')

        if not isinstance(content, dict):
            fail(f'expected a JSON object, got {type(content).__name__}.')
        if content.get('format') != POLICY_FORMAT:
            fail(f'format is {content.get("format")!r}, this version of '
                 f'ddas_mm reads {POLICY_FORMAT!r}. Re-run the search with '
                 f'this version or convert the file.')
        for key, kind in (('space', dict), ('epochs', list)):
            if not isinstance(content.get(key), kind):
                fail(f'"{key}" must be a JSON {kind.__name__}.')
        meta = content.get('meta', {})
        if not isinstance(meta, dict):
            fail('"meta" must be a JSON object.')
        try:
            space = SearchSpace.from_dict(content['space'])
        except (ValueError, KeyError, TypeError) as err:
            fail(f'bad "space": {err}')
        if not content['epochs']:
            fail('"epochs" is empty: the search wrote no policy yet.')
        records = []
        for i, record in enumerate(content['epochs']):
            if not isinstance(record, dict) or not {'epoch', 'p_tp', 'p_o'
                                                    } <= record.keys():
                fail(f'epochs[{i}] must be an object with "epoch", "p_tp" '
                     f'and "p_o".')
            if record['epoch'] != i + 1:
                fail(f'epochs[{i}] has "epoch": {record["epoch"]!r}; records '
                     f'must be numbered 1..T in order.')
            problem = _check_p_tp(record['p_tp'])
            if problem:
                fail(f'epoch {i + 1}: {problem}.')
            try:
                p_o = np.asarray(record['p_o'], dtype=np.float64)
            except (TypeError, ValueError):
                fail(f'epoch {i + 1}: p_o must be a list of numbers.')
            records.append((record['p_tp'], p_o))
        try:
            return cls(space, meta, records)
        except ValueError as err:
            fail(str(err))

    @classmethod
    def load(cls, path: str) -> 'PolicySchedule':
        """Read and validate a policy file.

        Args:
            path (str): a ``ddas_policy.json`` written by the search.

        Returns:
            PolicySchedule: the schedule.

        Raises:
            ValueError: if the file is missing, not JSON or not a valid
                policy, naming the file and the problem.
        """
        try:
            with open(path) as f:
                content = json.load(f)
        except FileNotFoundError:
            raise ValueError(
                f'DDAS policy file {path} does not exist: run the search '
                f'first (it writes work_dirs/<search config>/'
                f'{POLICY_FILENAME}) or fix the path.') from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise ValueError(f'DDAS policy file {path} cannot be read as '
                             f'JSON: {err}') from None
        return cls.from_dict(content, source=path)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(epochs={len(self)}, '
                f'K={self.space.K}, num_ops={self.space.num_ops})')


def records_every_epoch(path: str, max_epochs: int) -> bool:
    """Whether the policy file of a search holds a record of each of its
    epochs: a search stopped part of the way leaves fewer, no file before
    its first epoch has ended.

    Args:
        path (str): the search's policy file.
        max_epochs (int): the search's ``train_cfg.max_epochs``.

    Returns:
        bool: True if the file exists and has ``max_epochs`` records or more.
    """
    return osp.isfile(path) and len(PolicySchedule.load(path)) >= max_epochs
