"""VersionTwo (seed 000): ``/v1``, Bearer keys, keyed lists, nested lowercase error codes."""
