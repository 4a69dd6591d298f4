"""The ODD's parameter and outcome tables are generated from the declarations, never by hand."""

from pathlib import Path

from collabsim._docgen import _BLOCK, blocks, render

ODD = Path(__file__).resolve().parents[1] / "docs" / "ODD.md"


def test_odd_tables_match_the_declarations():
    text = ODD.read_text()
    assert {m.group(2) for m in _BLOCK.finditer(text)} == set(blocks())
    assert render(text) == text, "docs/ODD.md is stale: run python -m collabsim._docgen docs/ODD.md"
