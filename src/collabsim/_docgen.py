"""Generated tables of the documentation: parameters and outcomes, from their declarations.

``python -m collabsim._docgen docs/ODD.md`` rewrites every block between
``<!-- generated: NAME -->`` and ``<!-- end generated -->`` with the table ``NAME`` (see
:func:`blocks`); ``tests/test_docgen.py`` fails when a committed document differs from its
declarations, so the ODD's tables are never copied by hand.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from collabsim import outcomes, params

__all__ = ["blocks", "render"]

_BLOCK = re.compile(r"(<!-- generated: ([a-z-]+) -->\n)(.*?)(<!-- end generated -->)", re.S)


def blocks() -> dict[str, str]:
    """Every generated table, by block name."""
    free = params.free()
    fixed = [p for p in params.PARAMS.values() if p.fixed]
    return {
        "params-free": params.markdown_table(free),
        "params-fixed": params.markdown_table(fixed),
        "outcomes-series": outcomes.markdown_table("series"),
        "outcomes-summary": outcomes.markdown_table("summary"),
    }


def render(text: str) -> str:
    """``text`` with every generated block replaced by its current table.

    Raises:
        KeyError: a block names a table that does not exist.
    """
    tables = blocks()

    def fill(m: re.Match[str]) -> str:
        return f"{m.group(1)}{tables[m.group(2)]}\n{m.group(4)}"

    return _BLOCK.sub(fill, text)


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    for name in sys.argv[1:]:
        path = Path(name)
        path.write_text(render(path.read_text()))
        print(f"updated {path}")
