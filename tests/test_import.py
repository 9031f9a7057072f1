"""`import actlab` stays light: the oracle and plotting stacks load only when used."""

from __future__ import annotations

import subprocess
import sys


def test_import_does_not_load_heavy_modules():
    code = ("import sys, actlab; actlab.functional.mish; actlab.nn.Mish; actlab.names();"
            "print(','.join(m for m in ('sympy', 'mpmath', 'scipy', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
