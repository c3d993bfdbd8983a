"""YourCompany (seed 002): resources served from ``openapi.yaml`` beside this file."""
