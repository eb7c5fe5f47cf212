"""Capture what the experiments need while a script trains under observation.

`CaptureObserver` is an extra observer for `observe_and_diagnose(..., observers=[...])`.
On the watched (sampled) steps it notes each root model's forward input and output, and
each built-in loss call (the hub's on_loss event). When a loss's prediction
is the model's output, or a reshaped view of it, the pair is kept:

- once, before the first optimizer step: a deep copy of the model (its initial weights),
  the optimizer's class and hyperparameters, and the loss function with its options;
- every time: the batch's inputs and targets, detached clones, de-duplicated, up to
  `max_samples` samples.

Nothing here changes the user's objects or draws from the RNGs; everything runs inside
`session.guard`, so a failure is a recorded tool error. The result is a `Problem`, or the
reason why none could be built.
"""
from __future__ import annotations

import copy
import logging
import math
import weakref
from collections import Counter

import numpy as np
import torch

from unstuck.checkup import chain
from unstuck.checkup.problem import OptimizerSpec, Problem
from unstuck.observe.hub import Observer

log = logging.getLogger(__name__)

MAX_SAMPLES = 4096  # samples kept for the experiments
MAX_BYTES = 256 * 2**20  # ... and at most this much memory for them
MAX_MODEL_PARAMS = 20_000_000  # larger models are not copied
MAX_FOLLOWED = 256  # tensors followed from a model output towards its loss (checkup.chain)
MIN_USEFUL = 96  # fewer samples than this fit in the memory cap: nothing is kept
# Autograd nodes that only reshape or convert the model output on its way into the loss.
VIEW_NODES = frozenset({"ViewBackward0", "ReshapeAliasBackward0", "UnsafeViewBackward0", "SqueezeBackward0",
                        "SqueezeBackward1", "SqueezeBackward2", "SqueezeBackward3", "UnsqueezeBackward0",
                        "ToCopyBackward0", "CloneBackward0", "AliasBackward0"})


class CaptureObserver(Observer):
    """`copy_model=False` keeps the data only (the samples and the label evidence): what
    `unstuck run` checks when learning stalls (checkup.stall), at a smaller memory cap."""

    def __init__(self, max_samples: int = MAX_SAMPLES, max_bytes: int = MAX_BYTES, copy_model: bool = True):
        self.max_samples, self.max_bytes, self.copy_model = max_samples, max_bytes, copy_model
        self.started = False  # a (model output, target) pair was recognised
        self.session = None
        # (weakref(root), inputs (detached), weakref(output), inputs computed?, output shape) of the
        # latest root forward (the output may be gone by the loss: `log_softmax(model(x))`)
        self.last = None
        # tensors computed from that output on a watched step: id -> (weakref, steps, target, why not)
        self.follow: dict[int, tuple] = {}
        self.follow_batch = 0
        self.candidate = None  # the latest number computed from it with a target: a hand-written loss?
        self.head: tuple = ()  # checkup.chain steps from the model's output to the loss's prediction
        self.tail: tuple = ()  # ... and of a hand-written loss, from the target on
        self.root_ref = None
        self.model = None  # deep copy at the first captured loss call
        self.train_mode = True
        self.loss_fn = None
        self.loss_name = ""
        self.loss_extra = ((), {})
        self.pred_tail = ()
        self.rows_per_sample = 1
        self.batch_size = 0
        self.optimizer: OptimizerSpec | None = None
        self.optimizer_key: int | None = None  # the optimizer's entry in the trace (its learning rates)
        self.chunks_x: list[tuple[torch.Tensor, ...]] = []
        self.chunks_y: list[torch.Tensor] = []
        self.count = 0
        self.sample_bytes = 0
        self.init_loss: float | None = None
        self.reason: str | None = "no training step with a built-in loss function on a model's output was seen"
        self.full = False
        self.labels = LabelEvidence()

    # ------------------------------------------------------------ observer protocol (observe.hub)
    def install(self, session) -> None:
        self.session = session

    def uninstall(self) -> None:
        self.session.guard("checkup capture", self._resolve)
        self.follow = {}
        if self.copy_model and self.model is not None and self.optimizer is None:
            self.session.guard("checkup capture", self._find_optimizer)
        self.last = None

    def on_root_forward(self, module, args, output) -> None:
        if self.session.sampling and not (self.full and self.labels.done()):
            self._on_root(module, args, output)

    def on_loss(self, func, args, kwargs, out) -> None:
        self._on_loss(func, args, kwargs, out)

    def on_op(self, func, args, kwargs, out) -> None:
        if func is torch.Tensor.backward:
            self._resolve()
        elif self.follow:
            self._follow(func, args, kwargs, out)

    def _on_root(self, module, args, output) -> None:
        self._resolve()
        if not isinstance(output, torch.Tensor) or not args:
            return
        if self.root_ref is not None and self.root_ref() is not module:
            return
        if not all(isinstance(a, torch.Tensor) for a in args):
            return
        if next(module.parameters(), None) is None:
            return
        self.last = (weakref.ref(module), tuple(a.detach() for a in args), weakref.ref(output),
                     tuple(a.requires_grad or a.grad_fn is not None for a in args), tuple(output.shape))
        b = args[0].shape[0] if args[0].dim() else 0
        self.follow = {id(output): (weakref.ref(output), (), None, None)} if b and output.grad_fn is not None else {}
        self.follow_batch = b

    # ------------------------------------------------------------ ops after the model (checkup.chain)
    def _followed(self, t):
        """(steps, target, why not) of a tensor computed from the latest model output, or None."""
        entry = self.follow.get(id(t)) if isinstance(t, torch.Tensor) else None
        if entry is None or entry[0]() is not t:
            return None
        return entry[1:]

    def _follow(self, func, args, kwargs, out) -> None:
        if not isinstance(out, torch.Tensor) or out.grad_fn is None or not self.session.ops.grad_enabled:
            return
        found = [(a, e) for a in (*args, *kwargs.values()) if (e := self._followed(a)) is not None]
        if not found:
            return
        if len(found) > 1 and any(a is not found[0][0] for a, _ in found):
            steps, target, why = (), None, "an op between two tensors computed from the model's output"
        else:
            x, (steps, target, why) = found[0]
            if why is None:
                try:
                    step, other = chain.step_of(func, args, kwargs, out, x, self.follow_batch)
                except chain.Unrecognised as exc:
                    why = str(exc)
                else:
                    if other is not None and target is not None:
                        why = "a second tensor from outside the model"
                    elif step is not None:
                        steps, target = steps + (step,), other if other is not None else target
        if len(self.follow) >= MAX_FOLLOWED:
            self.follow = {}
            return
        self.follow[id(out)] = (weakref.ref(out), steps, target, why)
        if out.numel() == 1 and (target is not None or why is not None):
            self.candidate = (weakref.ref(out), steps, target, why)  # perhaps the loss: see _resolve

    def _resolve(self) -> None:
        """The latest number computed from the model's output and a target, if it was
        backpropagated: a hand-written loss, paired with its batch when its ops are recognised."""
        cand, self.candidate = self.candidate, None
        if cand is None or self.last is None:
            return
        ref, steps, target, why = cand
        loss = ref()
        entry = self.session.backwarded.get(id(loss)) if loss is not None else None
        if entry is None or entry() is not loss:
            return
        self.follow = {}
        head = tail = ()
        if why is None:
            i = next(k for k, s in enumerate(steps) if s.kind == "target")
            head, tail = steps[:i], steps[i:]
            why = chain.difference_loss(tail)
        if why is not None:
            if not self.started:
                self.reason = f"the hand-written loss is not replayed: {why}"
            self.last = None
            return
        pred_shape = head[-1].shape if head else self.last[4]
        self._pair(torch.Size(pred_shape), target, head, tail, None, (), {}, loss)

    # ------------------------------------------------------------ loss
    def _on_loss(self, func, args, kwargs, out) -> None:
        if self.candidate is not None and self.candidate[0]() is out:
            self.candidate = None  # a built-in loss: not a hand-written one (on_op came first)
        if self.last is None or not self.session.ops.grad_enabled or (self.full and self.labels.done()):
            return  # without grad: evaluation, not what the model is trained on
        pred = args[0] if args else kwargs.get("input")
        target = args[1] if len(args) > 1 else kwargs.get("target")
        if not isinstance(pred, torch.Tensor) or not isinstance(target, torch.Tensor):
            return
        output = self.last[2]()
        head = ()
        if output is None or not _derived_by_views(pred, output):
            entry = self._followed(pred)
            if entry is None:
                return
            steps, other, why = entry
            if why is not None or other is not None:
                if not self.started:
                    self.reason = (f"the ops between the model's output and {getattr(func, '__name__', 'the loss')} "
                                   f"are not replayed: {why or 'they meet another tensor'}")
                return
            if any(s.kind not in ("view", "cast") for s in steps):
                head = steps
        self.follow = {}
        self.candidate = None
        self._pair(pred.shape, target, head, (), func, args, kwargs, out)

    def _pair(self, pred_shape, target, head, tail, func, args, kwargs, out) -> None:
        """Keep the batch of the latest model forward with `target`, the loss's prediction being
        `head` replayed on the model's output (of shape `pred_shape`), its loss `func` (a built-in
        loss) or `tail` (a hand-written one, checkup.chain)."""
        if self.full and self.labels.done():
            return
        mref, inputs, _, computed, out_shape = self.last
        module = mref()
        if module is None:
            return
        if any(computed):
            self.reason = "the model's input is computed by another network"
            return
        if target.requires_grad:
            self.reason = "the loss's target depends on trainable parameters"
            return
        b = inputs[0].shape[0] if inputs[0].dim() else 0
        if b == 0 or any(x.dim() == 0 or x.shape[0] != b for x in inputs):
            return
        if len(pred_shape) == 0 or target.dim() == 0 or pred_shape[0] != target.shape[0] or pred_shape[0] % b:
            if tail and not self.started:
                self.reason = (f"the hand-written loss's target {list(target.shape)} and prediction "
                               f"{list(pred_shape)} do not share the batch axis")
            return
        rows = pred_shape[0] // b
        if math.prod(out_shape) != math.prod(pred_shape):
            return
        self.last = None  # one loss per forward: a second one on the same output (mixup's
        # `lam * ce(out, y_a) + (1 - lam) * ce(out, y_b)`) would pair the inputs with other labels
        if not self.started:
            self._first(module, func, args, kwargs, pred_shape, out, rows, b, head, tail)
        elif self.root_ref() is not module or self.loss_fn is not func or self.head != head or self.tail != tail \
                or tuple(pred_shape[1:]) != self.pred_tail or rows != self.rows_per_sample:
            return
        self._keep(inputs, target, rows)

    def _first(self, module, func, args, kwargs, pred_shape, out, rows, b, head, tail) -> None:
        if self.copy_model and sum(p.numel() for p in module.parameters()) > MAX_MODEL_PARAMS:
            self.reason = f"the model has more than {MAX_MODEL_PARAMS} parameters"
            self.full = True
            self.labels.stop()
            return
        if self.copy_model:
            self.model = copy.deepcopy(module)
            for p in self.model.parameters():
                p.grad = None
        self.started = True
        self.train_mode = module.training
        self.root_ref = weakref.ref(module)
        self.loss_fn = func
        self.head, self.tail = head, tail
        self.loss_name = f"hand-written loss {chain.describe(tail)}" if tail else getattr(func, "__name__", str(func))
        extra = tuple(_detached(a) for a in args[2:])
        opts = {k: _detached(v) for k, v in kwargs.items() if k not in ("input", "target")}
        self.loss_extra = (extra, opts)
        self.pred_tail = tuple(pred_shape[1:])
        self.rows_per_sample = rows
        self.batch_size = b
        if isinstance(out, torch.Tensor) and out.numel() == 1:
            self.init_loss = float(out.detach())
        self.reason = None
        if self.copy_model:
            self._find_optimizer()

    def _find_optimizer(self) -> None:
        root = self.root_ref() if self.root_ref is not None else None
        if root is None:
            return
        index = {id(p): i for i, p in enumerate(root.parameters())}
        for st in self.session.opts.values():
            opt = st.ref()
            if opt is None or not any(pid in index for pid in st.param_ids):
                continue
            groups = []
            for g in opt.param_groups:
                idx = [index[id(p)] for p in g["params"] if id(p) in index]
                if idx:
                    hyper = {k: _detached(v) for k, v in g.items() if k != "params"}
                    if "initial_lr" in hyper:  # a scheduler changed lr: start where the user started
                        hyper["lr"] = hyper.pop("initial_lr")
                    groups.append((idx, hyper))
            if groups:
                self.optimizer = OptimizerSpec(type(opt), groups)
                self.optimizer_key = st.key
                return

    def _keep(self, inputs, target, rows) -> None:
        b = inputs[0].shape[0]
        y = target.detach().reshape(b, rows, *target.shape[1:]) if rows > 1 else target.detach()
        if not self.sample_bytes:
            self.sample_bytes = max(1, sum(x[:1].numel() * x.element_size() for x in inputs)
                                    + y[:1].numel() * y.element_size())
        limit = min(self.max_samples, self.max_bytes // self.sample_bytes)
        if limit < MIN_USEFUL:  # samples too large to keep enough of: neither data nor evidence
            self.reason = f"samples of {self.sample_bytes} bytes: fewer than {MIN_USEFUL} fit in the capture"
            self.full = True
            self.labels.stop()
            return
        n = min(b, LabelEvidence.PER_BATCH if self.full else max(0, limit - self.count))
        if n == 0:
            return
        # one copy to the host per watched batch (no per-sample device syncs), then per-sample hashes
        xs, ys = tuple(x[:n].detach().cpu() for x in inputs), y[:n].cpu()
        self.labels.batch(ys)
        keep = []
        if self.chunks_x and any(x.shape[1:] != c.shape[1:] for x, c in zip(xs, self.chunks_x[0])):
            return  # another sample shape (sequences padded per batch): the experiments need one shape
        for i, (digest, mark) in enumerate(zip(row_digests(xs), row_digests((ys,)))):
            if not self.labels.seen_again(digest, mark, remember=not self.full) and not self.full:
                keep.append(i)
        if keep:
            idx = torch.tensor(keep)
            self.chunks_x.append(tuple(x.index_select(0, idx).clone() for x in xs))
            self.chunks_y.append(ys.index_select(0, idx).clone())
            self.count += len(keep)
        if self.count >= limit:
            self.full = True

    # ------------------------------------------------------------ result
    def problem(self) -> tuple[Problem | None, str | None]:
        """The Problem to experiment on; with `copy_model=False` its model and optimizer are None
        (the data checks need the samples only)."""
        if not self.started or not self.chunks_y:
            return None, self.reason
        if self.copy_model and self.optimizer is None:
            return None, "no optimizer holds the model's parameters"
        inputs = tuple(torch.cat([c[j] for c in self.chunks_x]) for j in range(len(self.chunks_x[0])))
        target = torch.cat(self.chunks_y)
        extra, opts = self.loss_extra
        fn, tail = self.loss_fn, self.tail

        def loss_call(pred, y):
            return chain.run(tail, pred, y) if tail else fn(pred, y, *extra, **opts)

        model = self.model.cpu() if self.model is not None else None
        lrs = ()
        if self.optimizer_key is not None and self.session is not None:
            lrs = tuple(self.session.trace.optimizers[self.optimizer_key].lrs)
        return Problem(model=model, inputs=inputs, target=target, loss_name=self.loss_name, loss_call=loss_call,
                       pred_tail=self.pred_tail, optimizer=self.optimizer, batch_size=max(1, self.batch_size),
                       train_mode=self.train_mode, rows_per_sample=self.rows_per_sample, lr_schedule=lrs,
                       head=self.head), None


# splitmix64's finaliser (a bijection of 64-bit words that spreads every bit over all of them)
_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_KEY = np.uint64(0x9E3779B97F4A7C15)


def _mix(z):
    """splitmix64's finaliser, in place on an array of uint64 (returned)."""
    z ^= z >> np.uint64(30)
    z *= _MIX1
    z ^= z >> np.uint64(27)
    z *= _MIX2
    z ^= z >> np.uint64(31)
    return z


def row_digests(parts) -> list[bytes]:
    """An 8-byte digest of each row (first axis) of the tensors in `parts` taken together, all
    rows at once: each row's bytes as 64-bit words, every word mixed with its position
    (splitmix64) and summed. Equal rows give equal digests; two distinct rows the same one by a
    chance of about 2**-64, a collision among the capture's at most 10**5 samples about 10**-9.
    (Hashing each row with hashlib was 512 calls a watched batch of 256 samples, most of a
    watched step's cost on a small model; this is ~0.15 ms for 256 rows of 512 floats.)"""
    arrays = []
    for t in parts:
        t = t.detach().cpu()
        t = t.float() if t.dtype == torch.bfloat16 else t  # numpy has no bfloat16
        a = np.ascontiguousarray(t.numpy())
        arrays.append(a.reshape(a.shape[0], -1).view(np.uint8))
    raw = np.concatenate(arrays, axis=1) if len(arrays) > 1 else arrays[0]
    n, width = raw.shape
    pad = -width % 8
    if pad or width == 0:
        raw = np.concatenate([raw, np.zeros((n, pad or 8), np.uint8)], axis=1)
    words = np.ascontiguousarray(raw).view(np.uint64)
    keys = _mix(np.arange(words.shape[1], dtype=np.uint64) * np.uint64(2) + _KEY)
    sums = _mix(words ^ keys).sum(axis=1, dtype=np.uint64)
    return [bytes(row) for row in sums.view(np.uint8).reshape(n, 8)]


class LabelEvidence:
    """What the captured batches say about the pairing of inputs and labels, for
    `label-misalignment` (rules/checkup.py):

    - an input seen again (a later epoch, or another batch: one loss per forward is read) with
      another of the labels seen than the first time: the labels were re-paired with the inputs
      between passes (two separate shuffles). `chance` is the share a random re-pairing would
      change: 1 - sum of the squared label frequencies;
    - batches whose labels arrive sorted (one label per sample, 8 or more samples, two or more
      values; positions 0, 1, 2, ... are not counted): a hint in not-learnable's message.

    Once the capture is full, up to PER_BATCH samples of each watched batch are still compared,
    until MAX_CHECKS inputs were seen again."""

    PER_BATCH = 64
    MAX_CHECKS = 2048
    SORTED_MIN = 8  # samples in a batch for its order to count

    def __init__(self):
        self.label_of: dict[bytes, bytes] = {}  # input digest -> its first label's digest
        self.label_counts: Counter[bytes] = Counter()  # label digest -> inputs first seen with it
        self.reseen = 0
        self.conflicts = 0
        self.batches = 0
        self.sorted_batches = 0
        self.stopped = False

    def done(self) -> bool:
        return self.stopped or self.reseen >= self.MAX_CHECKS

    def stop(self) -> None:
        self.stopped = True

    def seen_again(self, digest: bytes, mark: bytes, remember: bool = True) -> bool:
        """Note the (input, label) pair, as row_digests of each (a new one only if `remember`);
        True when this input was seen before."""
        first = self.label_of.get(digest)
        if first is None:
            if remember:
                self.label_of[digest] = mark
                self.label_counts[mark] += 1
            return False
        self.reseen += 1
        # another label that is one of the labels seen: a re-pairing (not jitter, not a
        # running normalisation of the targets, which make new values)
        self.conflicts += first != mark and mark in self.label_counts
        return True

    def batch(self, y: torch.Tensor) -> None:
        if y.dim() > 2 or (y.dim() == 2 and y.shape[1] != 1) or y.shape[0] < self.SORTED_MIN:
            return
        v = y.reshape(-1)
        d = v[1:] - v[:-1] if v.is_floating_point() else v[1:].long() - v[:-1].long()
        if not v.is_floating_point() and bool((d == 1).all()):
            return  # 0, 1, 2, ...: positions in the batch (contrastive targets), not sorted labels
        self.batches += 1
        if bool((d != 0).any()) and (bool((d >= 0).all()) or bool((d <= 0).all())):
            self.sorted_batches += 1

    def chance(self) -> float:
        n = len(self.label_of)
        return 1.0 - sum((c / n) ** 2 for c in self.label_counts.values()) if n else 0.0

    def to_json(self) -> dict:
        return {"reseen": self.reseen, "relabelled": self.conflicts, "chance": round(self.chance(), 4),
                "batches": self.batches, "sorted_batches": self.sorted_batches}


def _detached(v):
    if isinstance(v, torch.Tensor):
        return v.detach().clone().cpu()
    if isinstance(v, (list, tuple)):
        return type(v)(_detached(x) for x in v)
    return copy.deepcopy(v)


def _derived_by_views(pred: torch.Tensor, output: torch.Tensor) -> bool:
    """`pred` is `output`, or reshapes/squeezes/casts of it only."""
    if pred is output:
        return True
    target_node = output.grad_fn
    node = pred.grad_fn
    if target_node is None or node is None:
        return False
    for _ in range(16):
        if node is target_node:
            return True
        if type(node).__name__ not in VIEW_NODES:
            return False
        nexts = [n for n, _ in node.next_functions if n is not None]
        if len(nexts) != 1:
            return False
        node = nexts[0]
    return False
