"""Diagnose a model's activations and gradients: ``actlab.doctor.diagnose(model, inputs)``.

    >>> import torch, actlab.doctor
    >>> model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    >>> report = actlab.doctor.diagnose(model, torch.randn(32, 8))
    >>> report.layers[1].activation
    'relu'

``print(report)`` shows the per-layer table and the findings with advice; ``report.rows()`` and
``report.to_dict()`` give plain data. See :mod:`actlab.analysis.doctor` for what is measured.
"""

from .analysis.doctor import Diagnosis, Finding, LayerReport, diagnose

__all__ = ["Diagnosis", "Finding", "LayerReport", "diagnose"]
