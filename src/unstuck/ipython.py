"""unstuck in IPython and Jupyter: `%load_ext unstuck`, then

    %%unstuck                       # watch this cell's training, then show the report
    train(model, loader)

    %%unstuck --ignore loss-plateau --save runs/
    ...

    %unstuck on                     # watch every following cell (a report under each cell that trains)
    %unstuck off

    %unstuck_checkup model data loss_fn [optimizer_factory]

The cell runs as a normal cell (its variables land in the notebook, its last expression is
shown, an exception shows its usual traceback and fails the cell), and the report is shown
under it: the HTML page in Jupyter, the terminal text in an IPython terminal. The last
report is kept in the notebook as `_unstuck`, to inspect (`_unstuck.findings`, `_unstuck.ok`).
"""
from __future__ import annotations

from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

__all__ = ["load_ipython_extension", "unload_ipython_extension", "UnstuckMagics"]

RESULT = "_unstuck"  # the name the last report takes in the user's namespace
LABEL = "cell"       # the run's name in the JSON report and in `--save` folders (cell-<date>)


def _names(text: str | None) -> list[str] | None:
    """`a,b c` -> ["a", "b", "c"] (None when not given)."""
    return text.replace(",", " ").split() if text else None


@magics_class
class UnstuckMagics(Magics):
    """The `%%unstuck` / `%unstuck` and `%unstuck_checkup` magics."""

    def __init__(self, shell) -> None:
        super().__init__(shell)
        self._auto: dict | None = None   # the options of `%unstuck on`, None when off
        self._cell_session = None        # the session watching the current cell under `%unstuck on`
        self._depth = 0                  # run_cell nesting under `%unstuck on`

    # ---------------------------------------------------------------- %%unstuck / %unstuck on|off
    @magic_arguments()
    @argument("mode", nargs="?", choices=["on", "off"],
              help="line magic only: watch every following cell (on) until off")
    @argument("--ignore", metavar="CAUSES", help="rule codes or causes to leave out, comma separated")
    @argument("--select", metavar="CAUSES", help="only these rule codes or causes, comma separated")
    @argument("--profile", default="default", help="how many steps are watched in detail: economy, default, full")
    @argument("--save", metavar="FOLDER", help="also keep the run as a run folder (`unstuck show FOLDER` reads it)")
    @argument("--quiet", action="store_true", help="show nothing; the report is still kept as _unstuck")
    @line_cell_magic
    def unstuck(self, line: str, cell: str | None = None):
        """Watch a cell's training with unstuck and show the report under it.

        As a cell magic (`%%unstuck [options]`), watches this cell. As a line magic,
        `%unstuck on [options]` watches every following cell and shows a report under each
        one that trains (or that has findings); `%unstuck off` stops. The last report is kept
        as `_unstuck`.
        """
        args = parse_argstring(self.unstuck, line)
        options = {"profile": args.profile, "select": _names(args.select), "ignore": _names(args.ignore)}
        shown = {"quiet": args.quiet, "save": args.save}
        if cell is None:
            return self._switch(args.mode, options, shown)
        if args.mode:
            raise _usage("`on`/`off` belong to the line magic `%unstuck on`; write `%%unstuck` alone "
                         "on the first line of the cell to watch it")
        session = _watch(options).start()
        result = None
        try:
            result = self.shell.run_cell(cell)  # as a normal cell: namespace, display, traceback
        finally:
            report = session.stop(result.error_in_exec if result is not None else None)
        if result.error_before_exec is not None:  # a syntax error: nothing ran, nothing to report
            raise _usage("the cell did not run (see the error above)")
        self._show(report, **shown)
        if result.error_in_exec is not None:
            # run_cell has shown the traceback; fail the cell (Run All stops here) without a second one
            exc = result.error_in_exec
            raise _usage(f"the cell raised {type(exc).__name__}: {exc} (traceback above); "
                         f"the report of what it ran is kept as {RESULT}")

    def _switch(self, mode: str | None, options: dict, shown: dict) -> None:
        """`%unstuck on|off`: watch each following cell from IPython's pre/post_run_cell events."""
        events = self.shell.events
        if mode == "on":
            _watch(options)  # a wrong --profile fails here, not in every cell
            if self._auto is None:
                events.register("pre_run_cell", self._pre_run_cell)
                events.register("post_run_cell", self._post_run_cell)
            self._auto = {"options": options, "shown": shown}
            self._depth = 1  # this cell's own post_run_cell comes next, with nothing to report
            print("unstuck: watching every cell until `%unstuck off`")
        elif mode == "off":
            self._stop_auto()
            print("unstuck: no longer watching")
        else:
            raise _usage("write `%unstuck on` / `%unstuck off`, or `%%unstuck` on the first line of a cell")

    def _stop_auto(self) -> None:
        if self._auto is not None:
            self.shell.events.unregister("pre_run_cell", self._pre_run_cell)
            self.shell.events.unregister("post_run_cell", self._post_run_cell)
            self._auto = None
        if self._cell_session is not None:  # `%unstuck off` runs in a watched cell: drop its session
            self._cell_session.stop()
            self._cell_session = None
        self._depth = 0

    # A `%%unstuck` cell runs its body with run_cell, which fires the events again (depth 2):
    # only the outermost cell is watched, and the `%%unstuck` session reports its body.
    def _pre_run_cell(self, info) -> None:
        self._depth += 1
        if self._depth == 1:
            self._cell_session = _watch(self._auto["options"]).start()

    def _post_run_cell(self, result) -> None:
        self._depth = max(self._depth - 1, 0)
        if self._depth or self._cell_session is None:
            return
        session, self._cell_session = self._cell_session, None
        report = session.stop(result.error_in_exec)
        if report.judged or report.findings:  # a cell that trained nothing gets no report
            self._show(report, **self._auto["shown"])

    # ---------------------------------------------------------------- %unstuck_checkup
    @magic_arguments()
    @argument("model", help="the model (an nn.Module), by its name in the notebook")
    @argument("data", help="a tuple (inputs, targets) of tensors")
    @argument("loss_fn", help="loss_fn(prediction, target): a loss module or function")
    @argument("optimizer_factory", nargs="?", help="optimizer_factory(params) -> optimizer (default: Adam, lr 1e-3)")
    @argument("--budget", type=float, default=None, help="seconds the experiments may take (default: unstuck's)")
    @argument("--quiet", action="store_true", help="show nothing; the report is still kept as _unstuck")
    @line_magic
    def unstuck_checkup(self, line: str):
        """Run unstuck's checkup (overfit a few samples, baselines, a learning-rate range test...)
        on a copy of a model from the notebook, and show its verdict.

            %unstuck_checkup model "(X, y)" F.mse_loss --budget 20
            %unstuck_checkup model data nn.CrossEntropyLoss() make_optimizer

        Each argument is a name or a Python expression evaluated in the notebook (quoted when
        it holds spaces). The model
        is copied, never changed. The report (with `_unstuck.checkup["verdict"]`) is kept as
        `_unstuck`.
        """
        args = parse_argstring(self.unstuck_checkup, line)
        from unstuck.checkup import DEFAULT_BUDGET, checkup
        values = [self._value(text) for text in (args.model, args.data, args.loss_fn)]
        factory = self._value(args.optimizer_factory) if args.optimizer_factory else None
        budget = DEFAULT_BUDGET if args.budget is None else args.budget
        report = checkup(*values, factory, budget=budget, progress=not args.quiet)
        self._show(report, quiet=args.quiet, save=None)

    # ---------------------------------------------------------------- helpers
    def _value(self, text: str):
        """A magic's argument: a name or an expression, evaluated in the notebook's namespace
        (quote one that holds spaces: `"(X, y)"`)."""
        if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":
            text = text[1:-1]
        try:
            return eval(text, self.shell.user_global_ns, self.shell.user_ns)
        except Exception as exc:
            raise _usage(f"{text!r}: {type(exc).__name__}: {exc}") from None

    def _show(self, report, *, quiet: bool, save: str | None) -> None:
        self.shell.user_ns[RESULT] = report
        if save:
            print(f"unstuck: run kept in {report.save(save)}")
        if not quiet:
            from IPython.display import display
            display(report)


def _watch(options: dict):
    """A new unstuck.watch() session for a cell (a wrong option is a UsageError)."""
    from unstuck.watching import watch
    try:
        return watch(label=LABEL, **options)
    except ValueError as exc:
        raise _usage(str(exc)) from None


def _usage(message: str):
    from IPython.core.error import UsageError
    return UsageError(f"unstuck: {message}")


def load_ipython_extension(ip) -> None:
    """`%load_ext unstuck`: register the magics."""
    ip.register_magics(UnstuckMagics)


def unload_ipython_extension(ip) -> None:
    """`%unload_ext unstuck`: stop `%unstuck on` and remove the magics."""
    magics = ip.magics_manager.registry.pop(UnstuckMagics.__name__, None)
    if magics is not None:
        magics._stop_auto()
        for kind, names in UnstuckMagics.magics.items():
            for name in names:
                ip.magics_manager.magics[kind].pop(name, None)
