from .launch import (add_launch_arguments, finish_distributed, load_config,
                     setup_cpu_distributed)

__all__ = [
    'add_launch_arguments', 'finish_distributed', 'load_config',
    'setup_cpu_distributed'
]
