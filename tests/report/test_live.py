"""The live status line: only on a terminal, on its own row, gone afterwards."""
import io
import os
import pty
import subprocess
import sys
import textwrap

from unstuck.report.live import LiveStatus


def test_off_when_the_stream_is_not_a_terminal():
    assert LiveStatus.for_terminal(io.StringIO()) is None
    with open(os.devnull, "w") as f:
        assert LiveStatus.for_terminal(f) is None


def test_on_a_terminal_the_status_stays_off_the_script_lines(tmp_path):
    (tmp_path / "t.py").write_text(textwrap.dedent("""
        import torch
        model = torch.nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for step in range(30):
            opt.zero_grad()
            model(torch.randn(8, 3)).pow(2).mean().backward()
            opt.step()
            print(f"script line {step}")
    """))
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "100", "LINES": "30"}
    import fcntl
    import struct
    import termios
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "unstuck", "run", "t.py"], cwd=tmp_path, stdin=slave,
                            stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    out = b"".join(chunks).decode(errors="replace")
    assert "\x1b[1;29r" in out  # the last row is kept out of the scroll region
    assert "unstuck: watching" in out
    assert "\x1b[r" in out  # and given back at the end
    for step in range(30):  # the script's own lines arrive whole
        assert f"script line {step}\r\n" in out
