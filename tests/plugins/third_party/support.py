"""A third-party plugin made on the fly: a module and a ``*.dist-info`` with its entry point.

``importlib.metadata`` finds a distribution by its ``dist-info`` folder on ``sys.path``, so a
folder holding ``<module>.py`` and ``<module>-0.1.dist-info/entry_points.txt`` is an installed
plugin as far as specway can tell, without pip.
"""

from __future__ import annotations

import secrets
import textwrap
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class SitePackages:
    """A folder on ``sys.path`` that distributions are "installed" into."""

    root: Path
    modules: list[str] = field(default_factory=list)

    def add(self, entry_name: str, source: str, attr: str = "Plugin") -> str:
        """Install a distribution whose ``specway.plugins`` entry point ``entry_name`` is
        ``attr`` of a new module with ``source``; returns the module's name."""
        module = f"demo_plugin_{secrets.token_hex(4)}"
        (self.root / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        dist = self.root / f"{module}-0.1.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n", encoding="utf-8"
        )
        (dist / "entry_points.txt").write_text(
            f"[specway.plugins]\n{entry_name} = {module}:{attr}\n", encoding="utf-8"
        )
        self.modules.append(module)
        return module
