"""adaptive activations (being written)."""
