"""A user's config and the files it is made of.

The configs that ``generate_ddas_configs`` writes inherit the user's config
through ``_base_``; what cannot be turned into a search is reported with the
file and line it comes from, so the error points at what to change.
"""
import os.path as osp
import re
from typing import List, Optional

from mmengine.config import Config


class ConfigError(ValueError):
    """A config that cannot be turned into a DDAS search as it is."""


class ConfigSource:
    """A config (a path or an ``mmdet::`` / ``mmpretrain::`` name), loaded,
    with the files it inherits from.

    Args:
        config (str): the config's path, or a name such as
            ``'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'``.

    Attributes:
        name (str): what the generated configs put in ``_base_``: the
            external name as given, or the absolute path.
        path (str): the config's file.
        cfg (Config): the loaded config.
        files (list[str]): the config's file, then its bases, depth first;
            a setting is looked up in this order, which is the order in
            which a child overrides its bases.
    """

    def __init__(self, config: str):
        if '::' in config:
            try:
                self.path, _ = Config._get_cfg_path(config, '')
            except (FileNotFoundError, ValueError, KeyError) as err:
                raise ConfigError(
                    f'no config {config!r} in the installed packages '
                    f'({err}); give a path, or a name such as '
                    f"'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'."
                ) from err
            self.name = config
        else:
            if not osp.isfile(config):
                raise ConfigError(f'config file {config!r} does not exist.')
            self.path = osp.abspath(config)
            self.name = self.path
        self.cfg = Config.fromfile(self.path)
        self.files = self._with_bases(self.path)

    @property
    def stem(self) -> str:
        """The config's file name without ``.py``."""
        return osp.splitext(osp.basename(self.path))[0]

    @staticmethod
    def _with_bases(path: str) -> List[str]:
        files = [path]
        for base in Config._get_base_files(path):
            base_path, _ = Config._get_cfg_path(base, path)
            files += ConfigSource._with_bases(osp.normpath(base_path))
        return files

    def locate(self, pattern: str) -> Optional[str]:
        """Where a setting is written: ``'file:line: text'`` of the first
        line matching ``pattern``, in the order of :attr:`files`.

        Args:
            pattern (str): a regular expression.

        Returns:
            str | None: the location, or None if no line matches.
        """
        regex = re.compile(pattern)
        for path in self.files:
            with open(path, encoding='utf-8') as f:
                for number, line in enumerate(f, start=1):
                    if regex.search(line):
                        return f'{path}:{number}: {line.strip()}'
        return None

    def error(self, problem: str, pattern: str, fix: str) -> ConfigError:
        """A ConfigError naming the config line behind the problem.

        Args:
            problem (str): what is wrong.
            pattern (str): a regular expression for the line to name.
            fix (str): what to do about it.

        Returns:
            ConfigError: the error, to raise.
        """
        where = self.locate(pattern) or f'{self.path} (or its bases)'
        return ConfigError(f'{problem}\n  at {where}\n  fix: {fix}')
