"""self_gated activations (being written)."""
