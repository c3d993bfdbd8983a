"""The reference API's operation handlers: one module per tag, thin; logic in ``services``."""
