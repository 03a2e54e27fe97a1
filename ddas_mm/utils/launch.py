"""What tools/train.py and tools/test.py share: arguments, config, launch."""
import argparse
import gc
import os
import os.path as osp

import torch
import torch.distributed as torch_dist
from mmengine.config import Config, DictAction

from ddas_mm.engine.checkpoint_safety import add_checkpoint_safety_hook


def add_launch_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments every OpenMMLab tool takes.

    ``--work-dir``, ``--cfg-options``, ``--launcher`` and ``--local-rank``
    (which older ``torch.distributed.launch`` versions pass).

    Args:
        parser (ArgumentParser): The tool's parser, changed in place.
    """
    parser.add_argument(
        '--work-dir', help='the directory to save logs, checkpoints and '
        'results')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value pairs in xxx=yyy '
        'format, e.g. env_cfg.dist_cfg.backend=gloo')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def load_config(args: argparse.Namespace) -> Config:
    """Load ``args.config`` with the launch arguments applied.

    Sets the launcher, merges ``--cfg-options``, picks the work dir
    (``--work-dir``, else the config's, else ``work_dirs/<config name>``) and
    adds ``WeightsOnlyCheckpointHook`` so checkpoints load with
    ``weights_only=True``.

    Args:
        args (Namespace): Parsed arguments with ``config`` and those of
            :func:`add_launch_arguments`.

    Returns:
        Config: The config.
    """
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    add_checkpoint_safety_hook(cfg)
    return cfg


def setup_cpu_distributed(cfg: Config) -> bool:
    """Prepare a distributed run on the CPU with the gloo backend.

    mmengine 0.10.7's ``init_dist`` calls ``torch.cuda.set_device``
    unconditionally and its default DDP wrapper passes
    ``device_ids=[LOCAL_RANK]``, which a CPU model refuses. When no GPU is
    visible, this initialises the gloo process group from the environment
    that ``torchrun`` sets (the Runner then skips ``init_dist``) and wraps
    the model without device ids. With a GPU it does nothing and mmengine
    sets up the run as usual (``env_cfg.dist_cfg.backend`` picks nccl or
    gloo).

    Args:
        cfg (Config): The config of the run; ``cfg.launcher`` must be set.
            ``cfg.model_wrapper_cfg`` is filled in when it is not given.

    Returns:
        bool: Whether the gloo process group was initialised here.
    """
    if cfg.get('launcher', 'none') == 'none' or torch.cuda.is_available():
        return False
    if cfg.launcher != 'pytorch':
        raise ValueError(
            f'launcher={cfg.launcher!r} needs a GPU on this machine; without '
            f'one, start distributed runs with tools/dist_train.sh (torchrun, '
            f'launcher=pytorch), which uses the gloo backend on the CPU.')
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(backend='gloo')
    dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    dist_cfg['backend'] = 'gloo'
    cfg.setdefault('model_wrapper_cfg',
                   dict(type='MMDistributedDataParallel', device_ids=None))
    return True


def finish_distributed() -> None:
    """End the process group, if any, once the run is over.

    A gloo group left to the interpreter's exit can abort the process
    ("terminate called without an active exception") after a run that
    succeeded. The run's objects hold the group (the DDP wrapper's reducer)
    and some sit in reference cycles, which the interpreter may never free:
    call this after the runner has gone out of scope, and it collects them
    while the interpreter is whole. The barrier lets every rank finish its
    last collective first.
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        gc.collect()
        torch_dist.barrier()
        torch_dist.destroy_process_group()
