"""`%load_ext unstuck`: the `%%unstuck` cell magic, `%unstuck on|off` and `%unstuck_checkup`,
in an in-process IPython shell, and the example notebook executed in a real kernel."""
import os
import sys

import pytest
import torch

from unstuck.observe import session as session_module

IPython = pytest.importorskip("IPython")

pytestmark = pytest.mark.filterwarnings("ignore:Using a target size")

NOTEBOOK = os.path.join(os.path.dirname(__file__), os.pardir, "examples", "notebook", "unstuck_in_a_notebook.ipynb")

SETUP = """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
X = torch.randn(512, 4)
y = X @ torch.tensor([1.0, -2.0, 0.5, 3.0])
"""

# the headline bug: output [N, 1] against target [N] (SQUEEZE="" ) and its fix (SQUEEZE=".squeeze(1)")
TRAIN = """
model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 1))
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(40):
    i = step % 8 * 64
    loss = F.mse_loss(model(X[i:i + 64]){squeeze}, y[i:i + 64])
    opt.zero_grad()
    loss.backward()
    opt.step()
"""
BUG, FIX = TRAIN.format(squeeze=""), TRAIN.format(squeeze=".squeeze(1)")


def _torch_entry_points():
    return (torch.autograd.backward, torch.optim.Optimizer.__init__, torch.nn.Module.zero_grad)


@pytest.fixture
def ip():
    """An in-process IPython shell (as in a terminal: text only) with the extension loaded."""
    from IPython.core.interactiveshell import InteractiveShell

    from unstuck.ipython import load_ipython_extension, unload_ipython_extension
    shell = InteractiveShell.instance()
    types = shell.display_formatter.active_types
    shell.display_formatter.active_types = ["text/plain"]
    load_ipython_extension(shell)
    assert shell.run_cell(SETUP).success
    yield shell
    unload_ipython_extension(shell)
    shell.display_formatter.active_types = types
    shell.user_ns.pop("_unstuck", None)


def test_the_cell_magic_shows_the_broadcast_and_keeps_the_report_and_the_cells_variables(ip, capsys):
    before = _torch_entry_points()
    result = ip.run_cell("%%unstuck\n" + BUG + "loss.item()")
    assert result.success
    out = capsys.readouterr().out
    assert repr(ip.user_ns["loss"].item()) in out  # the last expression is shown, as in a normal cell
    assert "loss-broadcast" in out  # then the terminal report under the cell
    report = ip.user_ns["_unstuck"]
    assert report.findings[0].cause == "loss-broadcast" and report.findings[0].severity == "error"
    assert not report.ok
    assert "model" in ip.user_ns and "opt" in ip.user_ns
    assert _torch_entry_points() == before and session_module._ACTIVE == []


def test_the_fixed_cell_is_ok_and_quiet_shows_nothing(ip, capsys):
    assert ip.run_cell("%%unstuck --quiet\n" + FIX).success
    report = ip.user_ns["_unstuck"]
    assert report.ok and report.judged
    assert [f.cause for f in report.findings if f.severity != "info"] == []
    assert capsys.readouterr().out == ""


def test_a_failing_cell_shows_its_traceback_once_then_the_report_and_fails(ip, capsys):
    before = _torch_entry_points()
    result = ip.run_cell("%%unstuck\n" + BUG + "1 / 0")
    assert not result.success  # Run All stops at this cell
    out = capsys.readouterr()
    text = out.out + out.err
    assert text.count("ZeroDivisionError: division by zero") == 2  # the traceback, the one-line summary
    assert text.index("Traceback") < text.index("loss-broadcast")
    report = ip.user_ns["_unstuck"]
    assert report.script_error == "ZeroDivisionError: division by zero"
    assert "loss-broadcast" in [f.cause for f in report.findings]
    assert _torch_entry_points() == before and session_module._ACTIVE == []


def test_options_ignore_and_save(ip, tmp_path):
    assert ip.run_cell(f"%%unstuck --quiet --ignore loss-broadcast,SY001 --save {tmp_path}\n" + BUG).success
    causes = [f.cause for f in ip.user_ns["_unstuck"].findings]
    assert "loss-broadcast" not in causes and "prediction-collapse" not in causes
    assert os.listdir(tmp_path)  # the run folder
    assert not ip.run_cell("%%unstuck on\nx = 1").success  # on/off belong to the line magic
    assert not ip.run_cell("%%unstuck --profile nope\nx = 1").success


def test_unstuck_on_watches_each_training_cell_until_off(ip, capsys):
    before = _torch_entry_points()
    assert ip.run_cell("%unstuck on --quiet").success
    assert ip.run_cell("z = 1").success
    assert "_unstuck" not in ip.user_ns  # nothing trained: no report
    assert ip.run_cell(BUG).success
    assert ip.user_ns["_unstuck"].findings[0].cause == "loss-broadcast"
    assert ip.run_cell("%%unstuck --quiet\n" + FIX).success  # inside `on`: its own report, once
    assert ip.user_ns["_unstuck"].ok
    assert ip.run_cell("%unstuck off").success
    assert _torch_entry_points() == before and session_module._ACTIVE == []
    kept = ip.user_ns["_unstuck"]
    assert ip.run_cell("F.mse_loss(model(X), y).backward()").success
    assert ip.user_ns["_unstuck"] is kept  # no longer watched


def test_checkup_magic_runs_the_experiments_on_the_notebooks_objects(ip):
    assert ip.run_cell(BUG).success
    weights = [p.clone() for p in ip.user_ns["model"].parameters()]
    assert ip.run_cell('%unstuck_checkup model "(X[:64], y[:64])" F.mse_loss --budget 1 --quiet').success
    checkup = ip.user_ns["_unstuck"].checkup  # the wiring; what the experiments conclude is tested elsewhere
    assert checkup["verdict"]["kind"] and checkup["verdict"]["summary"]
    assert all(torch.equal(a, b) for a, b in zip(weights, ip.user_ns["model"].parameters()))  # on a copy
    assert not ip.run_cell("%unstuck_checkup no_such_model data F.mse_loss").success


@pytest.mark.slow
def test_the_example_notebook_runs_and_shows_the_broadcast(tmp_path):
    """Executes the example in a kernel run by this very Python (a kernelspec written for the
    test), as Jupyter would."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from ipykernel.kernelspec import write_kernel_spec
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    write_kernel_spec(str(tmp_path / "kernels" / "unstuck-test"))  # argv: sys.executable -m ipykernel_launcher
    specs = KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")], ensure_native_kernel=False)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert any(c.source.strip() == "%load_ext unstuck" for c in nb.cells)
    km = KernelManager(kernel_name="unstuck-test", kernel_spec_manager=specs)
    nbclient.NotebookClient(nb, km=km, timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert km.kernel_spec.argv[0] == sys.executable

    watched = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("%%unstuck")]
    bug, fix = watched
    reports = [[o for o in c.outputs if o.output_type == "display_data"] for c in watched]
    assert [len(r) for r in reports] == [1, 1]  # one display: the HTML page with its text fallback
    assert "loss-broadcast" in reports[0][0].data["text/html"] and "loss-broadcast" in reports[0][0].data["text/plain"]
    assert "loss-broadcast" not in reports[1][0].data["text/plain"]
    results = [o.data["text/plain"] for c in nb.cells if c.cell_type == "code" for o in c.outputs
               if o.output_type == "execute_result"]
    assert "loss-broadcast" in results[0] and results[-1] == "True"  # _unstuck, after the bug and after the fix
