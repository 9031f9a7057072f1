"""`import actlab` stays light: the oracle, plotting and analysis stacks load only when used."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("sympy", "mpmath", "scipy", "matplotlib", "actlab.doctor", "actlab.analysis", "actlab.bench",
         "actlab.report", "actlab.web")


def test_import_does_not_load_heavy_modules():
    code = ("import sys, actlab; actlab.functional.mish; actlab.nn.Mish; actlab.names(); actlab.nn.ACT2FN;"
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
