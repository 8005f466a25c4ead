"""Old argument names that still work, with a warning naming the new one.

A ``FutureWarning`` subclass, not a ``DeprecationWarning``: the old names
sit in users' configs, and Python shows ``FutureWarning`` to end users by
default (``DeprecationWarning`` only to developers running ``__main__``).
"""
import warnings


class MMDDartsDeprecationWarning(FutureWarning):
    """An argument of mmddarts was renamed or regrouped; the old form still
    works for now."""


def warn_deprecated(message, stacklevel=3):
    warnings.warn(message, MMDDartsDeprecationWarning, stacklevel=stacklevel)


def pop_renamed(kwargs, old, new, owner, value):
    """``kwargs.pop(old)`` with a warning if the caller used the old name,
    else ``value`` (the new argument's)."""
    if old not in kwargs:
        return value
    warn_deprecated(f'{owner}: {old!r} is deprecated, use {new!r}',
                    stacklevel=4)
    return kwargs.pop(old)
