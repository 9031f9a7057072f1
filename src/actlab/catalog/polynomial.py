"""polynomial activations (being written)."""
