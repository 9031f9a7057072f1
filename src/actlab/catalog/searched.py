"""searched activations (being written)."""
