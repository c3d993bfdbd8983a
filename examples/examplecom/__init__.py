"""example.com (seed 003): ``/v1``, Bearer keys, ``data``/``meta`` lists, nested errors."""
