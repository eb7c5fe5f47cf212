"""What rules report: findings with typed evidence, and each rule's run status (the data, in
`unstuck.reportdata`, re-exported here), and the Report users get, which shows itself as text,
JSON and HTML and keeps itself as a run folder."""
from __future__ import annotations

from unstuck.reportdata import (EXIT_STATUSES, NOTHING_JUDGED, EvidenceValue, Finding, Kind, Location,  # noqa: F401
                                ReportData, RuleRun, Scalar, Severity, Status, ToolError, evidence, prose)

__all__ = ["Location", "Finding", "Report", "RuleRun", "Severity", "Kind", "Status", "ToolError", "evidence"]


class Report(ReportData):
    """A run's report (`unstuck.watch()`, `unstuck.checkup()`, `unstuck run`): its data (see
    ReportData) and its views, which the renderers above this data make."""

    def to_json(self) -> dict[str, object]:
        """The machine report (spec/report.md) as a dict, as `--json` writes it."""
        from unstuck.report.json import to_dict
        return to_dict(self)

    def to_html(self) -> str:
        """The visual report: one self-contained HTML page, with the step log's charts when
        the run was watched in this process."""
        from unstuck.logbook.rundir import render_page
        steplog, trace = self.run or (None, None)
        return render_page(self, steplog, trace, label=self.script)

    def save(self, folder: str) -> str:
        """Keep the run as a run folder (`unstuck show FOLDER` reads it): `folder` when it is
        new or empty, else a new dated folder inside it. Returns the folder written."""
        from unstuck.logbook.rundir import save_run
        steplog, trace = self.run or (None, None)
        return save_run(folder, self, steplog, trace)

    def __str__(self) -> str:
        from unstuck.logbook.rundir import terminal_text
        return terminal_text(self)

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython in a terminal: the terminal report
        printer.text(str(self))

    def _repr_html_(self) -> str:  # Jupyter shows this under the cell
        from unstuck.report.html import notebook_html
        return notebook_html(self)
