"""What the catalog's LaTeX needs before matplotlib's mathtext can typeset it (report and explorer)."""

from __future__ import annotations

import re

__all__ = ["drop_size_switches"]

# \big( \Bigl[ ... \textstyle \displaystyle: mathtext cannot parse them; dropping the switch
# keeps the delimiter or the content at its normal size
_SIZE_SWITCHES = re.compile(r"\\(?:[bB]igg?[lrm]?|textstyle|displaystyle)(?![a-zA-Z])")


def drop_size_switches(tex: str) -> str:
    """``tex`` without LaTeX's size switches."""
    return _SIZE_SWITCHES.sub("", tex)
