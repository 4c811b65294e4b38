"""The notebooks: stored without outputs, and each runs top to bottom in quick mode (e2e)."""

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def quick(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with `QUICK = True` injected right after its `parameters` cell."""
    index = next(i for i, cell in enumerate(notebook.cells)
                 if "parameters" in cell.metadata.get("tags", []))
    notebook.cells.insert(index + 1, nbformat.v4.new_code_cell("QUICK = True"))
    return notebook


def test_every_notebook_is_stored_without_outputs_and_has_its_parts():
    assert [path.name[:2] for path in NOTEBOOKS] == ["01", "02", "03", "04", "05"]
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        assert all(not cell.outputs and cell.execution_count is None for cell in code), path.name
        assert "colab-badge.svg" in notebook.cells[0].source, path.name
        assert f"notebooks/{path.name}" in notebook.cells[0].source, path.name
        assert '"google.colab" in sys.modules' in code[0].source, path.name
        parameters = [cell for cell in code if "parameters" in cell.metadata.get("tags", [])]
        assert [cell.source.split("#")[0].strip() for cell in parameters] == ["QUICK = False"]


def test_the_quick_parameter_is_injected_after_the_parameters_cell():
    notebook = quick(nbformat.read(NOTEBOOKS[0], as_version=4))
    index = next(i for i, cell in enumerate(notebook.cells)
                 if "parameters" in cell.metadata.get("tags", []))
    assert notebook.cells[index + 1].source == "QUICK = True"


@pytest.mark.e2e
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_in_quick_mode(path, tmp_path):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = quick(nbformat.read(path, as_version=4))
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute()
    except CellExecutionError as error:  # the failing cell's source and traceback
        pytest.fail(f"{path.name}: {error}", pytrace=False)
