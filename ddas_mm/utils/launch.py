"""Launching distributed runs on machines without a GPU."""
import torch
import torch.distributed as torch_dist
from mmengine.config import Config


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
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    cfg.setdefault('model_wrapper_cfg',
                   dict(type='MMDistributedDataParallel', device_ids=None))
    return True
