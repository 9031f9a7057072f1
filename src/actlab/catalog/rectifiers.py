"""rectifiers activations (being written)."""
