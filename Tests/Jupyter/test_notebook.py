"""nbclient runs examples/quickstart.ipynb on the rmtl kernel: the outputs include an HTML table
and an SVG chart, and every table equals the one `rmtl run` prints for examples/quickstart.rmtl.
usage: test_notebook.py RMTL_BINARY NOTEBOOK SCRIPT (working directory: a temporary folder)"""
import subprocess
import sys

import nbformat
from nbclient import NotebookClient

binary, notebook_path, script_path = sys.argv[1:4]

nb = nbformat.read(notebook_path, as_version=4)
nbformat.validate(nb)  # rmtl notebook --execute writes valid nbformat 4.5, outputs included
NotebookClient(nb, kernel_name="rmtl", timeout=600, resources={"metadata": {"path": "."}}).execute()

mimes = set()
tables = []
for cell in nb.cells:
    for out in cell.get("outputs", []):
        assert out["output_type"] != "error", f"cell failed: {out}"
        data = out.get("data", {})
        mimes.update(data)
        if "text/html" in data:
            assert "<table" in data["text/html"]
            tables.append(data["text/plain"])
        if "image/svg+xml" in data:
            assert data["image/svg+xml"].lstrip().startswith("<svg")
assert "text/html" in mimes, f"no HTML table among {mimes}"
assert "image/svg+xml" in mimes, f"no SVG chart among {mimes}"
assert tables, "no tables"

run = subprocess.run([binary, "run", script_path, "--no-registry"], capture_output=True, text=True, timeout=600)
assert run.returncode == 0, run.stdout + run.stderr
for table in tables:
    assert table in run.stdout, f"the notebook's table\n{table}\nis not in rmtl run's output:\n{run.stdout}"
print(f"notebook: {sum(len(c.get('outputs', [])) for c in nb.cells)} outputs, {len(tables)} tables equal rmtl run's, mime types {sorted(mimes)}")
