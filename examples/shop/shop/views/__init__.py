"""API views, one module per workflow; `problems` holds the deliberate failures."""
