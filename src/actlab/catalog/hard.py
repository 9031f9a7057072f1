"""hard activations (being written)."""
