"""Runs notebooks/analysis.ipynb top to bottom in a kernel of this venv against a results folder built here."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
from ipykernel.kernelspec import install as install_kernelspec
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from results_factory import build_run

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = REPO / "notebooks" / "analysis.ipynb"
KERNEL = "harness-test-venv"


@pytest.fixture
def kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A kernelspec that runs this interpreter (the venv's python), found before any system-wide one.

    The kernel imports harness from this checkout, not from the tree the venv was installed from
    (worktrees share one venv; pytest's ``pythonpath`` does not reach a kernel process)."""
    prefix = tmp_path / "jupyter-prefix"
    install_kernelspec(kernel_name=KERNEL, prefix=str(prefix))
    spec = json.loads((prefix / "share" / "jupyter" / "kernels" / KERNEL / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable  # the kernel imports harness from this very venv
    monkeypatch.setenv("JUPYTER_PATH", str(prefix / "share" / "jupyter"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p))
    return KERNEL


def execute(kernel: str, workdir: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook, kernel_name=kernel, timeout=180, resources={"metadata": {"path": str(workdir)}}
    )
    client.execute()
    return notebook


def outputs_text(notebook: nbformat.NotebookNode) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts += [str(v) for k, v in output.get("data", {}).items() if k == "text/plain"]
    return "\n".join(parts)


def test_notebook_is_committed_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_notebook_runs_against_two_runs(tmp_path: Path, kernel: str, monkeypatch: pytest.MonkeyPatch) -> None:
    small = {"levels": (16, 64), "repetitions": 2}
    a = build_run(tmp_path / "results", seed=1, **small)  # type: ignore[arg-type]
    b = build_run(tmp_path / "results", seed=2, **small)  # type: ignore[arg-type]
    monkeypatch.setenv("HARNESS_RESULTS", os.pathsep.join([str(a.root), str(b.root)]))
    notebook = execute(kernel, tmp_path)
    text = outputs_text(notebook)
    assert f"A = {a.root.name}" in text and f"B = {b.root.name}" in text
    images = [o for c in notebook.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) == 3  # throughput and p99 of each run (one figure each), then the ratio


def test_notebook_compares_a_single_run_with_itself(
    tmp_path: Path, kernel: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = build_run(tmp_path / "results", levels=(16, 64), repetitions=1, variants=("mvc-virtual", "webflux"))
    monkeypatch.setenv("HARNESS_RESULTS", str(run.root))
    text = outputs_text(execute(kernel, tmp_path))
    assert "comparing it with itself" in text


def test_notebook_without_results_says_what_to_set(
    tmp_path: Path, kernel: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HARNESS_RESULTS", raising=False)
    with pytest.raises(CellExecutionError, match="HARNESS_RESULTS is not set"):
        execute(kernel, tmp_path)
