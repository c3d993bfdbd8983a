"""KeyNest (seed 004): Token auth, DRF lists and flat errors, trailing-slash paths."""
