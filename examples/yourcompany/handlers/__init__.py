"""YourCompany's handlers: resources on the reference projects service.

YourCompany's conventions (success and error envelopes, status-wrapped lists, UPPERCASE codes,
hourly tiers) are all configuration in ``examples/yourcompany/openapi.yaml``; the handlers return
bare resources and the gateway wraps them.
"""
