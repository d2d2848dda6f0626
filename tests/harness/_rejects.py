"""The bad-input tests' one assertion: a call raises a ValueError that names the argument."""
from __future__ import annotations

import re

import pytest


def rejects(name: str, fn, *args, **kwargs) -> str:
    """``fn(*args, **kwargs)`` raises ValueError whose message starts with ``name``."""
    with pytest.raises(ValueError) as info:
        fn(*args, **kwargs)
    msg = str(info.value)
    assert re.match(rf"{re.escape(name)}\b", msg), f"message does not start with {name!r}: {msg}"
    return msg
