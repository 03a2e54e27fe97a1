"""An experiment's ``*_cfg_options``, applied as ``--cfg-options`` applies
them, in memory and on the command line of ``tools/train.py``.

Options are what ``Config.merge_from_dict`` takes: dotted keys
(``{'train_cfg.max_epochs': 2}``), nested dicts (``{'train_cfg':
{'max_epochs': 2}}``) or both, merged into the config key by key. They are
flattened once to dotted keys (:func:`dotted_options`); the harness merges
those into the configs it reads and passes the very same ones to the tools
(:func:`cfg_options_arguments`), which read them back with mmengine's
``DictAction``: a config the harness reads and the one a tool runs agree.
"""
import argparse
from typing import Any, Dict, List

from ddas_mm.utils import add_launch_arguments


def dotted_options(options: dict, prefix: str = '') -> Dict[str, Any]:
    """Flatten nested dicts of options to mmengine's dotted keys.

    ``{'train_cfg': {'max_epochs': 2}}`` becomes ``{'train_cfg.max_epochs':
    2}``; a list, an empty dict or any other value is one option.
    ``Config.merge_from_dict`` gives the same config with either.

    Args:
        options (dict): options, with dotted keys, nested dicts or both.
        prefix (str): the dotted key of ``options`` in the config, with its
            trailing dot ('' at the top).

    Returns:
        dict: dotted key to value.
    """
    dotted = {}
    for key, value in options.items():
        if isinstance(value, dict) and value:
            dotted.update(dotted_options(value, f'{prefix}{key}.'))
        else:
            dotted[f'{prefix}{key}'] = value
    return dotted


def _as_text(value) -> str:
    """A value as ``DictAction`` reads values: lists in brackets, tuples in
    parentheses, numbers, booleans, None and strings as they print."""
    if isinstance(value, (list, tuple)):
        items = ','.join(map(_as_text, value))
        return f'[{items}]' if isinstance(value, list) else f'({items})'
    return str(value)


def _read_back(arguments: List[str]) -> Dict[str, Any]:
    """The options ``tools/train.py`` reads from these ``--cfg-options``
    arguments (with its own parser's ``DictAction``)."""
    parser = argparse.ArgumentParser()
    add_launch_arguments(parser)
    return parser.parse_args(['--cfg-options', *arguments]).cfg_options


def cfg_options_arguments(options: Dict[str, Any]) -> List[str]:
    """The ``--cfg-options`` arguments that give a tool these options.

    Args:
        options (dict): dotted key to value (see :func:`dotted_options`).

    Returns:
        list[str]: one ``key=value`` argument per option.

    Raises:
        ValueError: an option that ``DictAction`` cannot read back as it is
            (a dict inside a list, a string with spaces or commas, a string
            that reads as a number ...), naming its key and the fix.
    """
    arguments = [f'{key}={_as_text(value)}' for key, value in options.items()]
    parsed = _read_back(arguments) if arguments else {}
    for key, value in options.items():
        if parsed[key] != value:
            raise ValueError(
                f'the option {key}={value!r} reads back as '
                f'{parsed[key]!r} on the command line (--cfg-options); give '
                f'its parts with dotted keys instead (e.g. '
                f"'custom_hooks.0.interval': 5), or set it in the config.")
    return arguments
