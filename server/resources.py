"""Where the page's files are, in a source checkout and in an installed copy.

The wheel ships ``web/`` inside the package as ``server/web`` (hatch force-include); a source
checkout or an editable install has the top-level ``web/`` beside the package instead.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def web_root() -> Path:
    packaged = Path(str(resources.files("server") / "web"))
    if (packaged / "index.html").is_file():
        return packaged
    return Path(__file__).resolve().parent.parent / "web"
