"""The step log: one row per optimizer step, kept in memory and appended to `steps.jsonl`.

An observer of the session (observe.hub): its step, backward and DataLoader events (steps
taken inside compiled code included). Always on, and cheap: a step costs a
reference to the latest loss tensor, an lr read per param group and a clock read. Loss
tensors are detached and converted to numbers in batches (one `torch.stack(...).tolist()`
every `flush_every` rows), never with an `.item()` per step, so a GPU run is not
synchronised at every step.

A row:

    {"step": 120, "opt": 0, "time": 3.51, "loss": 0.693, "lr": [0.001], "epoch": 2}

- `step`: optimizer steps taken so far, this one included (1-based; the Trace's tick + 1);
- `opt`: which optimizer stepped (0, 1, ... in order of creation), with two or more;
- `time`: seconds since observation started; `lr`: each param group's learning rate as this
  step used it; `loss`: the loss last backpropagated before (or, for closures, during) the
  step, `null` when it was not a single number;
- `epoch`: 1-based, when the script iterates a `torch.utils.data.DataLoader` with gradients
  enabled (the count of that loader's iterations); absent otherwise;
- on steps the session watched in detail (`sampled`: true): `grad_norm` and `update_ratio`
  over the optimizer's parameters, and `layers`: each weight matrix's gradient norm and
  update-to-weight ratio (`||delta w|| / ||w||`).

Bounded: at most `max_rows` rows are kept. When a run exceeds it, every second row is
dropped except the newest quarter, which keeps full resolution; repeated, the older part of a
long run is evenly spaced (every 2nd, 4th, ... step, the oldest never sparser than the
newer), so the curve of the early steps is kept too. The file's first line is a
header object (no `step` key) that says so and how far the thinning reached.

Memory stays flat however long the run: with a file, the file is the store (rows are
appended as they are converted; a thinning reads it back and rewrites it); without one,
rows are kept as compact JSON lines. TensorBoard event files are written once, when the
run ends, from the rows kept (writing them live cost ~100 µs a step).
"""
from __future__ import annotations

import itertools
import json
import logging
import math
import os
import time
import weakref
from array import array
from collections import deque

import torch

from unstuck.logbook.atomic import atomic_write_text
from unstuck.observe.hub import Observer

log = logging.getLogger(__name__)

STEPLOG_FORMAT = 1
# Rows kept in memory and in the file; older ones are thinned beyond it (about 10 MB of JSON).
MAX_ROWS = 20_000
# Loss tensors converted to numbers (and rows written) in batches of this many steps.
FLUSH_EVERY = 256
# Latest losses kept as numbers for `recent_loss` (the checkpointer's "best").
RECENT = 256


class StepLog(Observer):
    """Records one row per optimizer step; writes them to `path` (JSON lines) when given."""

    def __init__(self, path: str | None = None, *, max_rows: int = MAX_ROWS, flush_every: int = FLUSH_EVERY,
                 tensorboard_dir: str | None = None) -> None:
        if max_rows < 8:
            raise ValueError("max_rows must be at least 8")
        self.path = path
        self.max_rows = max_rows
        self.flush_every = max(1, flush_every)
        self.tensorboard_dir = tensorboard_dir
        self._lines: list[str] = []  # converted rows as JSON lines, without a file (bounded by max_rows)
        self._kept = 0  # rows kept (in the file or in _lines)
        self._recent: deque = deque(maxlen=RECENT)  # latest losses (numbers or None)
        self.pending: list[tuple] = []  # (tick, opt, time, lrs, loss tensor | None, epoch, StepRecord | None)
        self.thinned_before: int | None = None  # rows with a smaller step have been thinned
        self.thinnings = 0
        self.step_callbacks = []  # callbacks(steplog) after each step's row: e.g. the checkpointer
        self.last_step = 0  # `step` of the latest row
        self._session = None
        self._loss = None  # the latest tensor given to backward()
        self._t0 = 0.0
        self._opt_keys: dict[int, tuple[weakref.ref, int]] = {}
        self._loaders: dict[int, int] = {}  # id(DataLoader) -> times iterated with grad enabled
        self._epoch: int | None = None
        self._tb_closed = False

    # ------------------------------------------------------------------ observer contract
    def install(self, session) -> None:
        self._session = session
        self._t0 = time.perf_counter()
        if self.path:
            os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
            atomic_write_text(self.path, json.dumps(self.header()) + "\n")

    def uninstall(self) -> None:
        self._loss = None
        self.flush()
        self._write_tensorboard()

    # ------------------------------------------------------------------ session events
    def on_loader_iter(self, loader, grad_enabled: bool) -> None:
        if grad_enabled:  # a training pass, not a no_grad evaluation
            n = self._loaders.get(id(loader), 0) + 1
            self._loaders[id(loader)] = n
            self._epoch = n

    def on_backward(self, tensors) -> None:
        self._loss = tensors  # a reference only: detached and read at the step

    def _opt_key(self, opt) -> int:
        known = self._opt_keys.get(id(opt))
        if known is not None and known[0]() is opt:
            return known[1]
        key = len(self._opt_keys)
        self._opt_keys[id(opt)] = (weakref.ref(opt), key)
        return key

    def optimizers(self) -> list:
        """The optimizers seen stepping, still alive, in order of their first step."""
        found = [(key, ref()) for ref, key in self._opt_keys.values()]
        return [opt for key, opt in sorted(found, key=lambda kv: kv[0]) if opt is not None]

    def on_step(self, opt) -> None:
        """A row for the step the session just counted (its tick not yet advanced)."""
        s = self._session
        tick, key = s.tick, self._opt_key(opt)
        lrs = [g.get("lr") for g in opt.param_groups]
        loss = self._loss
        self._loss = None  # do not keep the user's graph alive
        if isinstance(loss, (list, tuple)):
            loss = loss[0] if len(loss) == 1 else None
        if isinstance(loss, torch.Tensor) and loss.numel() == 1:
            loss = loss.detach()
        else:
            loss = None
        steps = s.trace.steps
        record = steps[-1] if steps and steps[-1].tick == tick else None
        self.pending.append((tick, key, time.perf_counter() - self._t0, lrs, loss, self._epoch, record))
        self.last_step = tick + 1
        for callback in self.step_callbacks:
            callback(self)
        if len(self.pending) >= self.flush_every:
            self.flush()

    # ------------------------------------------------------------------ rows
    def flush(self) -> None:
        """Convert pending rows to numbers (one batched read of the losses), append them to
        the file (or the in-memory lines), thin the log when it is over `max_rows`."""
        if not self.pending:
            return
        pending, self.pending = self.pending, []
        losses = _to_floats([p[4] for p in pending])
        trace = self._session.trace if self._session is not None else None
        lines = []
        for (tick, key, t, lrs, _, epoch, record), loss in zip(pending, losses):
            row = {"step": tick + 1}
            if len(self._opt_keys) > 1 or key:
                row["opt"] = key
            row["time"] = round(t, 4)
            row["loss"] = loss
            row["lr"] = [_num(lr) for lr in lrs]
            if epoch is not None:
                row["epoch"] = epoch
            if record is not None and trace is not None:
                row.update(_sampled_fields(record, trace))
            lines.append(json.dumps(row, separators=(",", ":")))
            self._recent.append(loss)
        if self.path:
            with open(self.path, "a") as f:
                f.writelines(line + "\n" for line in lines)
        else:
            self._lines.extend(lines)
        self._kept += len(lines)
        if self._kept > self.max_rows:
            self._thin()

    def _stored_lines(self) -> list[str]:
        if not self.path or not os.path.exists(self.path):  # no file, or never installed
            return self._lines
        with open(self.path) as f:
            return [line.rstrip("\n") for line in _file_rows(f)]

    def _thin(self) -> None:
        """Drop every second row but the newest quarter until at most `max_rows` are left. A file
        is streamed into its replacement: no copy of the log is held in memory."""
        keep = array("i", range(self._kept))  # indices of the rows kept
        first_full = 0  # index of the oldest row kept at full resolution
        while len(keep) > self.max_rows:
            cut = len(keep) - self.max_rows // 4
            first_full = keep[cut]
            keep = keep[:cut][::2] + keep[cut:]
            self.thinnings += 1
        self._kept = len(keep)
        if not self.path:
            self.thinned_before = json.loads(self._lines[first_full])["step"]
            self._lines = [self._lines[i] for i in keep]
            return
        with open(self.path) as src:
            line = next(itertools.islice(_file_rows(src), first_full, None))
            self.thinned_before = json.loads(line)["step"]
        wanted = bytearray(keep[-1] + 1)
        for i in keep:
            wanted[i] = 1
        tmp = self.path + ".tmp"
        with open(self.path) as src, open(tmp, "w") as dst:
            dst.write(json.dumps(self.header()) + "\n")
            dst.writelines(line for i, line in enumerate(_file_rows(src)) if i < len(wanted) and wanted[i])
        os.replace(tmp, self.path)

    @property
    def rows(self) -> list[dict]:
        """The rows kept so far (read back: meant for reports, not for every step)."""
        self.flush()
        return [json.loads(line) for line in self._stored_lines()]

    def jsonl(self) -> str:
        """The whole log as a steps.jsonl file holds it: the header line, then one line a row."""
        self.flush()
        return "".join(line + "\n" for line in [json.dumps(self.header()), *self._stored_lines()])

    def header(self) -> dict:
        header = {"unstuck_steplog": STEPLOG_FORMAT, "max_rows": self.max_rows,
                  "note": "one row per optimizer step; rows with `layers` are the steps watched in detail"}
        if self.thinned_before is not None:
            header["downsampled"] = True
            header["note"] += (f"; the log was over {self.max_rows} rows, so rows before step "
                               f"{self.thinned_before} were thinned {self.thinnings} time(s): every second row "
                               "dropped each time, the newest quarter kept")
            header["thinned_before_step"] = self.thinned_before
        return header

    def recent_loss(self, n: int) -> float | None:
        """Mean of the last `n` finite losses (at most the last RECENT; flushes first)."""
        self.flush()
        values = [v for v in list(self._recent)[-n:] if v is not None and math.isfinite(v)]
        return sum(values) / len(values) if values else None

    @property
    def trace(self):
        """The Trace of the session this log watched (None before it was installed)."""
        return self._session.trace if self._session is not None else None

    @property
    def epoch(self) -> int | None:
        return self._epoch

    # ------------------------------------------------------------------ tensorboard
    def _write_tensorboard(self) -> None:
        """Event files from the rows kept, once, at the end of the run."""
        if not self.tensorboard_dir or self._tb_closed:
            return
        self._tb_closed = True
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:  # the optional `tensorboard` package is not installed
            log.debug("tensorboard is not installed: no event files")
            return
        with SummaryWriter(log_dir=self.tensorboard_dir) as tb:
            for row in self.rows:
                step = row["step"]
                suffix = f"/opt{row['opt']}" if "opt" in row else ""
                if row.get("loss") is not None:
                    tb.add_scalar("loss" + suffix, row["loss"], step)
                for i, lr in enumerate(row["lr"]):
                    if lr is not None:
                        tb.add_scalar(f"lr{suffix}/group{i}", lr, step)
                for name, layer in row.get("layers", {}).items():
                    for what, value in layer.items():
                        if value is not None:
                            tb.add_scalar(f"{what}/{name}", value, step)


def _file_rows(f):
    """The row lines of an open steps.jsonl (the header line skipped)."""
    next(f, None)
    return (line for line in f if line.strip())


def _num(x) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError, RuntimeError):
        return None
    return v if math.isfinite(v) else None


def _to_floats(tensors: list) -> list[float | None]:
    """Detached scalar tensors to numbers with as few device reads as possible."""
    out: list[float | None] = [None] * len(tensors)
    groups: dict[tuple, list[int]] = {}
    for i, t in enumerate(tensors):
        if t is not None:
            groups.setdefault((t.device, t.dtype), []).append(i)
    for idx in groups.values():
        try:
            values = torch.stack([tensors[i].reshape(()) for i in idx]).double().tolist()
        except RuntimeError:
            values = [float(tensors[i]) for i in idx]
        for i, v in zip(idx, values):
            out[i] = v if math.isfinite(v) else None
    return out


def _sampled_fields(record, trace) -> dict:
    layers: dict[str, dict[str, float]] = {}
    for pid, norm in record.layer_grad_norms:
        layers.setdefault(trace.param_name(pid), {})["grad_norm"] = _round(norm)
    for pid, ratio in getattr(record, "layer_update_ratios", ()):
        layers.setdefault(trace.param_name(pid), {})["update_ratio"] = _round(ratio)
    fields = {"sampled": True, "grad_norm": _round(record.grad_norm), "update_ratio": _round(record.update_ratio)}
    if layers:
        fields["layers"] = layers
    return fields


def _round(x) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return float(f"{x:.6g}")


def read_steplog(path: str) -> tuple[dict, list[dict]]:
    """The header and the rows of a `steps.jsonl` file."""
    header: dict = {}
    rows: list[dict] = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            obj = json.loads(line)
            if "step" in obj:
                rows.append(obj)
            elif not rows:
                header = obj
    return header, rows
