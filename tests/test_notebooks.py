"""The notebooks in ``notebooks/`` run top to bottom in a fresh kernel (jupytext + nbclient).

They are stored as jupytext percent-format ``.py`` files; each is converted to a notebook in
memory and executed with its working folder in a temporary directory, so their sweep folders
do not land in the repository. Any cell that raises fails the test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.py"))

pytestmark = [pytest.mark.slow, pytest.mark.notebooks]


def test_there_are_notebooks():
    assert [p.stem[:2] for p in NOTEBOOKS] == ["01", "02", "03"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, tmp_path):
    nb = jupytext.read(path)
    assert nb.cells and nb.metadata["kernelspec"]["name"] == "python3"
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    assert sum(c.cell_type == "code" for c in nb.cells) >= 5
