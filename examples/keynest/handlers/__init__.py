"""KeyNest's handlers: the reference API's services in KeyNest's resource shapes.

Conventions (pagination, error format, auth scheme) are configuration in the spec; these modules
only choose which reference handler serves an operation and add KeyNest's extra fields.
"""
