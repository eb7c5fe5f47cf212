"""Checkpoints with names that still make sense months later, kept few, written atomically.

`Checkpointer` is for users' own loops:

    ckpt = unstuck.Checkpointer("checkpoints", model=model, optimizer=opt, every=100, keep=3)
    start = ckpt.resume()              # loads the latest checkpoint, if any; returns its step
    for step in range(start, 10_000):
        ...
        ckpt.step(loss=loss.item())    # saves every 100 steps

Each file, e.g. `train-step0000300-epoch2-loss0.0421.pt`, holds a plain dict that loads with
`torch.load(path, weights_only=True)`:

    {"unstuck_checkpoint": 1, "name": "train", "step": 300, "epoch": 2, "loss": 0.0421,
     "state": {"model": model.state_dict(), "optimizer": opt.state_dict()}}

The last `keep` checkpoints and the one with the lowest loss are kept; `checkpoints.json`
lists them. Saving only reads state dicts: it never changes the run.

`RunCheckpoints` does the same for `unstuck run --checkpoint-every N`: it saves the watched
model(s) (root modules that hold parameters of a stepping optimizer, told by the session's hub
in `on_root_call`, which it asks for only during the step before a checkpoint) and every
optimizer that stepped.
"""
from __future__ import annotations

import json
import logging
import math
import os
import re
import time
import weakref

import torch

from unstuck.logbook.atomic import atomic_target, atomic_write_text
from unstuck.observe.hub import Observer

log = logging.getLogger(__name__)

CHECKPOINT_FORMAT = 1
INDEX = "checkpoints.json"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "run"


def checkpoint_filename(name: str, step: int, epoch: int | None = None, loss: float | None = None) -> str:
    parts = [_safe(name), f"step{step:07d}"]
    if epoch is not None:
        parts.append(f"epoch{epoch}")
    if loss is not None:
        parts.append(f"loss{loss:.4g}" if math.isfinite(loss) else f"loss{loss}")
    return "-".join(parts) + ".pt"


class Checkpointer:
    """Save named objects' state dicts every `every` steps; keep the last `keep` and the best."""

    def __init__(self, folder: str, *, every: int | None = None, keep: int = 3, keep_best: bool = True,
                 name: str = "checkpoint", **objects) -> None:
        if every is not None and every < 1:
            raise ValueError("every must be at least 1")
        if keep < 1:
            raise ValueError("keep must be at least 1")
        self.folder = folder
        self.every = every
        self.keep = keep
        self.keep_best = keep_best
        self.name = name
        self.objects = dict(objects)
        self.steps_done = 0
        self.entries: list[dict] = self._read_index()

    # ------------------------------------------------------------------ saving
    def step(self, loss: float | None = None, epoch: int | None = None) -> str | None:
        """Count one training step; save when a multiple of `every` is reached. Returns the
        path written, or None."""
        self.steps_done += 1
        if self.every and self.steps_done % self.every == 0:
            return self.save(self.steps_done, loss=loss, epoch=epoch)
        return None

    def save(self, step: int, *, loss: float | None = None, epoch: int | None = None,
             objects: dict | None = None) -> str:
        """Write one checkpoint of `objects` (default: those given at construction)."""
        objects = self.objects if objects is None else objects
        if not objects:
            raise ValueError("nothing to save: give the objects, e.g. Checkpointer(dir, model=model)")
        loss = None if loss is None else float(loss)
        filename = checkpoint_filename(self.name, step, epoch, loss)
        payload = {"unstuck_checkpoint": CHECKPOINT_FORMAT, "name": self.name, "step": int(step),
                   "epoch": None if epoch is None else int(epoch), "loss": loss, "time": time.time(),
                   "state": {key: obj.state_dict() for key, obj in objects.items()}}
        path = os.path.join(self.folder, filename)
        with atomic_target(path) as f:
            torch.save(payload, f)
        self.entries = [e for e in self.entries if e["file"] != filename]
        self.entries.append({"file": filename, "step": int(step), "epoch": payload["epoch"], "loss": loss,
                             "objects": sorted(payload["state"])})
        self._prune()
        self._write_index()
        log.debug("checkpoint %s", path)
        return path

    def _best(self) -> dict | None:
        finite = [e for e in self.entries if e["loss"] is not None and math.isfinite(e["loss"])]
        return min(finite, key=lambda e: (e["loss"], -e["step"])) if finite else None

    def _prune(self) -> None:
        self.entries.sort(key=lambda e: e["step"])
        keep = self.entries[-self.keep:]
        best = self._best() if self.keep_best else None
        if best is not None and best not in keep:
            keep = [best] + keep
        for e in self.entries:
            if e not in keep:
                try:
                    os.unlink(os.path.join(self.folder, e["file"]))
                except FileNotFoundError:
                    pass
        self.entries = keep

    def _write_index(self) -> None:
        best = self._best()
        index = {"unstuck_checkpoints": CHECKPOINT_FORMAT, "name": self.name, "keep": self.keep,
                 "best": best["file"] if best else None, "latest": self.entries[-1]["file"] if self.entries else None,
                 "checkpoints": self.entries}
        atomic_write_text(os.path.join(self.folder, INDEX), json.dumps(index, indent=2) + "\n")

    def _read_index(self) -> list[dict]:
        path = os.path.join(self.folder, INDEX)
        try:
            with open(path) as f:
                entries = json.load(f).get("checkpoints", [])
        except (FileNotFoundError, ValueError):
            return []
        return [e for e in entries if os.path.exists(os.path.join(self.folder, e["file"]))]

    # ------------------------------------------------------------------ reading
    @property
    def paths(self) -> list[str]:
        """Kept checkpoints, oldest step first."""
        return [os.path.join(self.folder, e["file"]) for e in sorted(self.entries, key=lambda e: e["step"])]

    def latest(self) -> str | None:
        return self.paths[-1] if self.entries else None

    def best(self) -> str | None:
        best = self._best()
        return os.path.join(self.folder, best["file"]) if best else None

    def resume(self, path: str | None = None, map_location=None) -> int:
        """Load the latest checkpoint (or `path`) into the objects; return its step, 0 when
        there is none. Later `step()` calls count on from there."""
        path = path or self.latest()
        if path is None:
            return 0
        payload = load_checkpoint(path, map_location=map_location)
        for key, obj in self.objects.items():
            if key in payload["state"]:
                obj.load_state_dict(payload["state"][key])
            else:
                log.warning("checkpoint %s holds no state for %r", path, key)
        self.steps_done = int(payload["step"])
        return self.steps_done


def load_checkpoint(path: str, map_location=None) -> dict:
    """A checkpoint's dict, loaded with `weights_only=True` (no code runs while loading)."""
    return torch.load(path, map_location=map_location, weights_only=True)


def _unique_names(objs: list) -> dict[str, object]:
    named: dict[str, object] = {}
    for obj in objs:
        base = type(obj).__name__
        key, n = base, 1
        while key in named:
            n += 1
            key = f"{base}_{n}"
        named[key] = obj
    return named


class RunCheckpoints(Observer):
    """`--checkpoint-every N` for `unstuck run`: a step log callback that saves the watched
    model(s) and optimizer(s) every N optimizer steps."""

    def __init__(self, steplog, folder: str, name: str, every: int, keep: int = 3) -> None:
        self.steplog = steplog
        self.every = every
        self.checkpointer = Checkpointer(folder, every=None, keep=keep, name=name)
        self.roots: dict[int, weakref.ref] = {}  # root modules called while listening
        self.listening = False
        steplog.step_callbacks.append(self._after_step)

    # observer contract: root calls are asked for during the step before each checkpoint
    def install(self, session) -> None:
        super().install(session)
        self._listen(self.every == 1)

    def uninstall(self) -> None:
        self._listen(False)

    def _listen(self, on: bool) -> None:
        self.listening = on
        if self.session is not None:
            self.session.modules.listen(self, on)

    def on_root_call(self, module) -> None:
        if self.listening:  # (also told on sampled steps: only the steps before checkpoints count)
            self.roots.setdefault(id(module), weakref.ref(module))

    def _after_step(self, steplog) -> None:
        step = steplog.last_step
        if step % self.every == 0:
            self.save(step)
        self._listen((step + 1) % self.every == 0)

    def save(self, step: int) -> str | None:
        optimizers = self.steplog.optimizers()
        held = {id(p) for opt in optimizers for g in opt.param_groups for p in g["params"]}
        alive = [m for m in (r() for r in self.roots.values()) if m is not None]
        models = [m for m in alive if any(id(p) in held for p in m.parameters())]
        objects = _unique_names(models + optimizers)
        if not objects:
            return None
        loss = self.steplog.recent_loss(min(self.every, 50))
        return self.checkpointer.save(step, loss=loss, epoch=self.steplog.epoch, objects=objects)
