"""Domain logic of the reference API, one module per resource, used by handlers and examples."""
