"""exponential activations (being written)."""
