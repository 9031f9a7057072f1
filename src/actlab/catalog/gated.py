"""gated activations (being written)."""
