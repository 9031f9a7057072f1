"""periodic activations (being written)."""
