"""JSON text to Python data, with one-line errors for every malformed input.

``json.loads`` raises ``JSONDecodeError`` for bad syntax but a raw
``RecursionError`` for deeply nested arrays or objects (a file of 100,000
``[``): every loader of a user-supplied JSON file goes through
:func:`parse_json` so both end in the same kind of one-line error.
"""
import json


def parse_json(text, source, error=ValueError):
    """``json.loads(text)``, or ``error`` naming ``source`` and the problem
    (line and column for a syntax error)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise error(f'{source}: invalid JSON at line {err.lineno}, column '
                    f'{err.colno}: {err.msg}') from None
    except RecursionError:
        raise error(f'{source}: JSON nested too deeply to read (arrays or '
                    'objects inside each other beyond the interpreter\'s '
                    'recursion limit)') from None
