"""Checks of plain arguments that several modules take."""


def is_count(value) -> bool:
    """Whether ``value`` is an integer >= 1 (a bool is not one)."""
    return (not isinstance(value, bool) and isinstance(value, int)
            and value >= 1)
