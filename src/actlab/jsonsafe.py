"""Strict JSON for results that contain ±inf and NaN (which the JSON standard has no words for)."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["json_safe"]


def json_safe(v: Any, inf_as_text: bool = True) -> Any:
    """``v`` with tuples as lists, str keys, NaN and bytes as None, and ±inf as "inf"/"-inf"
    (or as None with ``inf_as_text=False``, for plots that should leave a gap there)."""
    if isinstance(v, float):
        if math.isnan(v):
            return None
        if math.isinf(v):
            return ("inf" if v > 0 else "-inf") if inf_as_text else None
        return v
    if isinstance(v, dict):
        return {str(k): json_safe(u, inf_as_text) for k, u in v.items()}
    if isinstance(v, (list, tuple)):
        return [json_safe(u, inf_as_text) for u in v]
    return None if isinstance(v, bytes) else v
