"""specway's plugins: the contract (``plugins.base``), the registry and the built-ins."""

import specway as _specway  # noqa: F401 - installs specway's warning filters before Connexion loads
