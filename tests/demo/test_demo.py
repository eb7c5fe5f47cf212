"""`unstuck demo` without a terminal: every line fits 80 columns, and the table quotes the
real last loss (the one the script itself prints at its last epoch)."""
import os
import re
import subprocess
import sys


def test_demo_fits_80_columns_and_quotes_the_last_loss(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    r = subprocess.run([sys.executable, "-m", "unstuck", "demo"], cwd=tmp_path, capture_output=True, text=True,
                       timeout=600, env={**env, "PYTHONUNBUFFERED": "1"})
    assert r.returncode == 0, r.stderr[-2000:]
    # torch's own warning about the broadcast (the script's, not unstuck's output) is left as it is
    too_wide = [line for line in r.stderr.splitlines() if len(line) > 80 and "Warning: " not in line]
    assert too_wide == []
    printed = re.findall(r"epoch 299  loss (\d+\.\d+)", r.stdout)
    assert len(printed) == 2  # broken, then fixed
    rows = [line for line in r.stderr.splitlines() if "broken: [N,1]" in line or "fixed: [N]" in line]
    for row, last in zip(rows, printed):
        assert last in row.split("│")[3], (row, last)
    assert "loss-broadcast" in r.stderr
