"""The analysis notebooks (notebooks/*.ipynb): they run from a clean kernel and are stored clean.

Each notebook is executed with nbclient in a fresh kernel of this interpreter, with its working
directory in ``notebooks/`` (as in Jupyter), a small number of paths
(``NAEF_NOTEBOOK_PATHS``) so the suite stays fast, and its output folder
(``NAEF_NOTEBOOK_OUT``) in a temporary directory, so nothing is written into the repository.
Any error in any cell fails the test. A second check fails if a committed notebook holds
outputs or execution counts: notebooks are stored stripped.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).parents[1]
NOTEBOOKS = ROOT / "notebooks"
EXPECTED = (
    "01_quickstart.ipynb",
    "02_revisiting_the_2005_proposal.ipynb",
    "03_batch_and_sensitivity.ipynb",
    "04_investors_and_the_hedge.ipynb",
    "05_where_the_fund_invests.ipynb",
)
#: Paths per run in the test (one random-number block of the engine): enough for every
#: statistic the notebooks print to be defined, small enough for the suite to stay fast.
TEST_PATHS = 1024
CELL_TIMEOUT_S = 600


def _read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def _text_of(cell: nbformat.NotebookNode) -> str:
    """Everything a code cell printed (streams and plain-text results)."""
    parts: list[str] = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(str(out.get("text", "")))
        elif "data" in out:
            parts.append(str(out["data"].get("text/plain", "")))
    return "".join(parts)


def _kernel_manager(tmp_path: Path) -> AsyncKernelManager:
    """A kernel manager that starts ipykernel on this interpreter (``sys.executable``).

    Only ipykernel's own (native) kernel spec is visible to it, whose command line is
    ``sys.executable -m ipykernel_launcher``, so a ``python3`` kernel spec installed elsewhere
    (a user's, or another environment's) cannot send the notebooks to another Python.
    """
    empty = tmp_path / "kernels"
    empty.mkdir()
    specs = KernelSpecManager(kernel_dirs=[str(empty)], ensure_native_kernel=True)
    return AsyncKernelManager(kernel_name="python3", kernel_spec_manager=specs)


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_runs_from_a_clean_kernel(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Execute every cell; fail on any error; the notebook ends with its printed answer."""
    out = tmp_path / "out"
    # The kernel inherits this process's environment.
    monkeypatch.setenv("NAEF_NOTEBOOK_PATHS", str(TEST_PATHS))
    monkeypatch.setenv("NAEF_NOTEBOOK_OUT", str(out))
    monkeypatch.setenv("NAEF_NOTEBOOK_WORKERS", "1")
    monkeypatch.setenv("PLOTLY_RENDERER", "json")  # no browser, no network
    before = sorted(p.name for p in NOTEBOOKS.iterdir())

    nb = _read(name)
    n_cells = len(nb.cells)
    # In memory only: a last cell that reports which interpreter ran the notebook.
    nb.cells.append(nbformat.v4.new_code_cell("import sys\nprint(sys.executable, end='')"))
    client = NotebookClient(
        nb,
        km=_kernel_manager(tmp_path),
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    # Raises CellExecutionError on the first failing cell. The client did not create the
    # kernel manager, so it is told to shut the kernel down and close its channels at the end.
    client.execute(cleanup_kc=True)

    errors = [
        (i, out["ename"])
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.get("output_type") == "error"
    ]
    assert not errors, errors
    assert os.path.realpath(_text_of(nb.cells[-1])) == os.path.realpath(sys.executable)
    answer = _text_of(nb.cells[n_cells - 1])
    assert answer.startswith("Answer"), answer[:200]
    assert f"{TEST_PATHS:,} paths" in answer
    # Nothing was written beside the notebooks; run folders went to the temporary folder.
    assert sorted(p.name for p in NOTEBOOKS.iterdir()) == before


def test_notebooks_are_stored_without_outputs() -> None:
    """Every committed notebook is valid and stripped: no outputs, no execution counts."""
    found = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    assert set(EXPECTED) <= set(found), found
    dirty: list[str] = []
    for name in found:
        nb = _read(name)
        nbformat.validate(nb)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if cell.get("outputs"):
                dirty.append(f"{name}: cell {i} has outputs")
            if cell.get("execution_count") is not None:
                dirty.append(f"{name}: cell {i} has execution_count {cell.execution_count}")
    assert not dirty, "\n".join(dirty)


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_opens_with_its_question_and_ends_with_its_answer(name: str) -> None:
    """The first cell states the question; the last two are the answer, in words then in code."""
    nb = _read(name)
    first, answer_md, answer_code = nb.cells[0], nb.cells[-2], nb.cells[-1]
    assert first.cell_type == "markdown" and "**Question.**" in first.source
    assert answer_md.cell_type == "markdown" and answer_md.source.startswith("## Answer")
    assert answer_code.cell_type == "code" and 'print(f"Answer' in answer_code.source
