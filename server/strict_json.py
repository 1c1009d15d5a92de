"""JSON from strangers, read strictly: what the HTTP API and the call WebSocket accept.

Python's ``json`` module accepts more than JSON: ``Infinity``, ``-Infinity`` and ``NaN``, and
numbers like ``1e999`` that become infinite floats; ``\\ud800`` escapes that make strings no
database, page or later ``json.dumps`` for a browser can carry; and nesting deep enough to
raise RecursionError. :func:`loads` refuses all of them with a ValueError whose message says
what was wrong, so whatever it returns can be stored and sent on as it is.
"""

from __future__ import annotations

import json
import math
from typing import Any

#: No message or request Tandem takes nests deeper than a few levels.
MAX_DEPTH = 32


class JSONRejected(ValueError):
    """The text is not JSON Tandem accepts; the message is safe to show to the sender."""


def _no_constant(name: str) -> object:
    raise JSONRejected(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONRejected(f"{text[:20]} is too large for a number")
    return value


def loads(raw: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """Parse ``raw``; JSONRejected (a ValueError) for anything but plain, valid JSON nested at
    most ``max_depth`` objects or arrays deep."""
    try:
        data = json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
    except JSONRejected:
        raise
    except RecursionError:
        raise JSONRejected(f"the JSON nests deeper than {max_depth} levels") from None
    except ValueError as exc:  # malformed, not UTF-8, an integer of thousands of digits
        raise JSONRejected(f"not valid JSON ({exc})") from None
    check(data, max_depth)
    return data


def check(data: object, max_depth: int = MAX_DEPTH) -> None:
    """JSONRejected when ``data`` (parsed JSON) nests more than ``max_depth`` objects or
    arrays deep or holds a string (a key or a value) that is not valid Unicode."""
    stack: list[tuple[object, int]] = [(data, 0)]
    while stack:  # no recursion: ``data`` may come from anywhere
        value, depth = stack.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise JSONRejected(
                    "the JSON holds text that is not valid Unicode (a lone surrogate)"
                ) from None
            continue
        if isinstance(value, dict):
            children: list[object] = [*value.keys(), *value.values()]
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth + 1 > max_depth:
            raise JSONRejected(f"the JSON nests deeper than {max_depth} levels")
        stack.extend((child, depth + 1) for child in children)
