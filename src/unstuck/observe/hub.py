"""The contract between a watching session and the observers that ride on it.

The session installs each torch hook and patch once (observe/optimizers.py, autograd.py,
modules.py, ops.py) and tells every registered observer what happened through the events
below. An observer is any object with `install(session)` and `uninstall()`; it subclasses
`Observer` and overrides the events it wants. Only overridden events are dispatched, each
call guarded: a failing observer is recorded as a tool error and never reaches the script.

Events (all arguments are the user's live objects: read them, never change them):

    on_step_begin(opt)                    an eager optimizer step begins (before the update,
                                          after the session's own pre-step work); every
                                          eager step (compiled steps are seen once over)
    on_step(opt)                          an optimizer step the session counted (eager, or
                                          inside compiled code), before the tick advances;
                                          every step
    on_step_end(opt)                      an eager optimizer step ended and the tick advanced
                                          (the next step's window is set); every eager step
    on_backward(tensors)                  before each outermost backward pass; every pass
    on_root_forward(module, args, output) a model's outermost forward ended (a module with
                                          parameters); sampled steps and evaluation blocks
    on_model_input(module, args, grad_enabled)
                                          a model's outermost forward begins; same windows
    on_root_call(module)                  a module was called outside any other module's
                                          forward (not inside backward; any module, a loss
                                          module too); while the module hooks are on: the
                                          same windows, and the steps an observer asked for
                                          with `session.modules.listen(observer, True)`
    on_loss(func, args, kwargs, out)      a built-in loss function was called with tensors;
                                          sampled steps
    on_op(func, args, kwargs, out)        a torch function the op tracer studies returned (a
                                          loss, an elementwise binary op, a reduction, an
                                          activation, a view or cast, indexing, ...), or one
                                          of ops.ON_OP_ONLY (abs, neg, exp, sqrt, square, pow,
                                          Tensor.backward); sampled steps; the grad mode the
                                          call ran in is `session.ops.grad_enabled`
    on_loader_iter(loader, grad_enabled)  a DataLoader starts an iteration (an epoch, or an
                                          evaluation pass); always

Handlers run inside the session's guard, with gradients disabled: the grad mode the user's code
ran in is passed where it matters (`grad_enabled`).

The session owns the schedule (which steps are watched) and the dispatch; observers own
their state and call no other observer.
"""
from __future__ import annotations

EVENTS = ("on_step_begin", "on_step", "on_step_end", "on_backward", "on_root_forward", "on_model_input",
          "on_root_call", "on_loss", "on_op", "on_loader_iter")


class Observer:
    """Base class of the session's observers: no-op lifecycle, events listed in EVENTS."""

    session = None

    def install(self, session) -> None:
        self.session = session

    def uninstall(self) -> None:
        pass


class Later:
    """An observer built when the session starts, that is once the script imports torch: its
    module may import torch, which a script that never does must not pay for. `made` is the
    observer, None while none was built."""

    def __init__(self, build) -> None:
        self.build, self.made = build, None

    def __call__(self):
        self.made = self.build()
        return self.made


class Hub:
    """The registered observers' event handlers, one list per event."""

    def __init__(self, session) -> None:
        self.session = session
        self.observers: list = []
        self.handlers: dict[str, list] = {e: [] for e in EVENTS}

    def register(self, observer) -> None:
        if observer in self.observers:
            return
        self.observers.append(observer)
        for event in EVENTS:
            if _overrides(observer, event):
                self.handlers[event].append(getattr(observer, event))

    def unregister(self, observer) -> None:
        if observer not in self.observers:
            return
        self.observers.remove(observer)
        for event in EVENTS:
            self.handlers[event] = [h for h in self.handlers[event] if getattr(h, "__self__", None) is not observer]

    def wants(self, event: str) -> bool:
        return bool(self.handlers[event])

    def emit(self, event: str, *args) -> None:
        s = self.session
        for handler in self.handlers[event]:
            if not s.busy:
                s.guard(event, handler, *args)
                continue
            try:  # already inside the tool's guard (a loss seen by the op tracer)
                handler(*args)
            except Exception as exc:  # noqa: BLE001 - the tool must never break the script
                s.record_error(event, exc)


def _overrides(observer, event: str) -> bool:
    method = getattr(type(observer), event, None)
    return method is not None and method is not getattr(Observer, event, None)
