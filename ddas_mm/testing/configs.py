"""Config files written by tests: a config that inherits another one and
overrides some of its settings, as a user's config does."""


def write_child_config(path, base: str, overrides: dict) -> str:
    """Write a config that inherits ``base`` and sets ``overrides``.

    The values are written with ``repr``, unformatted: mmengine reads them
    back as they are.

    Args:
        path (str | Path): the file to write.
        base (str): what ``_base_`` names: a path, or an ``mmdet::`` /
            ``mmpretrain::`` name.
        overrides (dict): top-level names and their values (dicts with
            ``_delete_=True`` where they replace the base's instead of
            merging into it).

    Returns:
        str: the file's path.
    """
    with open(path, 'w') as f:
        f.write(f'_base_ = [{base!r}]\n')
        for key, value in overrides.items():
            f.write(f'{key} = {value!r}\n')
    return str(path)
