"""Config text as OpenMMLab writes it: ``dict(type=...)`` literals, laid out
by yapf like mmengine's ``Config.pretty_text``."""
import textwrap
from typing import List, Tuple

from yapf.yapflib.yapf_api import FormatCode

# mmengine's Config.pretty_text style.
YAPF_STYLE = dict(
    based_on_style='pep8',
    blank_line_before_nested_class_or_def=True,
    split_before_expression_after_opening_paren=True)


class Code(str):
    """Source text put into a config as it is (a reference such as
    ``_base_.train_dataloader.dataset``), not as a string literal."""


def literal(value) -> str:
    """A value as config source: dicts with identifier keys as
    ``dict(k=v)``; the loader's ``_scope_`` marks left out.

    Args:
        value: plain data (dicts, lists, tuples, str, numbers, bool, None)
            or :class:`Code`.

    Returns:
        str: Python source.
    """
    if isinstance(value, Code):
        return str(value)
    if isinstance(value, dict):
        items = [(k, v) for k, v in value.items() if k != '_scope_']
        if all(isinstance(k, str) and k.isidentifier() for k, _ in items):
            return 'dict(' + ', '.join(f'{k}={literal(v)}'
                                       for k, v in items) + ')'
        return '{' + ', '.join(f'{literal(k)}: {literal(v)}'
                               for k, v in items) + '}'
    if isinstance(value, list):
        return '[' + ', '.join(literal(v) for v in value) + ']'
    if isinstance(value, tuple):
        inner = ', '.join(literal(v) for v in value)
        return f'({inner},)' if len(value) == 1 else f'({inner})'
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    raise TypeError(
        f'cannot write {value!r} ({type(value).__name__}) into a config: '
        f'the generated configs need plain values (dict, list, str, '
        f'numbers); write it as a registry name in your config.')


def formatted(source: str) -> str:
    """Python source laid out as mmengine lays out configs (comments kept).
    """
    text, _ = FormatCode(source, style_config=YAPF_STYLE)
    return text


def config_text(header: str, assignments: List[Tuple[str, object]]) -> str:
    """A whole config file.

    Args:
        header (str): comment paragraphs, one a line, without the ``#``;
            wrapped to the line length.
        assignments (list[tuple[str, object]]): names and values, in order.

    Returns:
        str: the file's text.
    """
    comment = ''.join(
        f'# {line}\n' for paragraph in header.splitlines()
        for line in textwrap.wrap(paragraph, 77, subsequent_indent='  '))
    body = ''.join(f'{name} = {literal(value)}\n'
                   for name, value in assignments)
    return comment + formatted(body)


def type_name(cfg: dict, default: str = '') -> str:
    """The type a config dict names, without its scope prefix.

    Args:
        cfg (dict): e.g. ``dict(type='mmdet.Resize', ...)``; ``type`` may
            also be a class, as configs written in Python give it.
        default (str): the name when ``cfg`` has no ``type``.

    Returns:
        str: ``'Resize'`` for ``'mmdet.Resize'`` or for the class.
    """
    kind = cfg.get('type', default)
    kind = kind if isinstance(kind, str) else kind.__name__
    return kind.rsplit('.', 1)[-1]
