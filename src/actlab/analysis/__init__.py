"""Analyses derived from the catalog: gradient flow, mean field, model doctor, self-normalisation."""
