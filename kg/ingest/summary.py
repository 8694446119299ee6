"""The end-of-run account of a read: how many papers were read, skipped, and why."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from kg.ingest.records import DUPLICATE_ID
from schema.paper import ReadIssue

#: issues kept verbatim in a summary (all of them are still counted)
MAX_ISSUES = 1000
_DETAIL_SEPARATORS = (" (", ": ")


def reason_category(reason: str) -> str:
    """The short category of an issue reason: its text before any detail.

    >>> reason_category("invalid UTF-8 (byte 0xff at column 3)")
    'invalid UTF-8'
    >>> reason_category("record 4: duplicate id 2106.01234")
    'duplicate id'
    """
    if reason.startswith("record "):  # JSON element issues start "record N: "
        head, sep, rest = reason.partition(": ")
        if sep and head[7:].isdigit():
            reason = rest
    if reason.startswith(DUPLICATE_ID):
        return DUPLICATE_ID
    cuts = [at for sep in _DETAIL_SEPARATORS if (at := reason.find(sep)) > 0]
    return reason[: min(cuts)] if cuts else reason


@dataclass
class ReadSummary:
    """Counts for a run of `read_papers`; filled in while the papers stream.

    `skipped` counts skipped records, `warnings` records kept despite a problem; a file that
    could not be read (an issue with no line) is listed in `failed_files` instead. `filtered`
    counts records left out by a category or year filter (`kg.ingest.filters`): not issues.
    `lost` counts the records the readers skipped whose paper may be unknown (every skip but a
    duplicate id) and `stopped_early` says a limit ended the read: with either, or a failed
    file, the input was not read completely (`complete`), so an incremental build cannot tell
    a paper that left the input from one it never saw.
    """

    files: int = 0
    read: int = 0
    skipped: int = 0
    warnings: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    issues: list[ReadIssue] = field(default_factory=list)
    failed_files: list[str] = field(default_factory=list)
    filtered: int = 0
    #: `filtered` by the condition that left a record out: "category" (tested first) or "year"
    filtered_by: Counter[str] = field(default_factory=Counter)
    lost: int = 0
    stopped_early: bool = False
    #: (file, line) of the paper last read: where a consumer pulling papers one at a time (the
    #: extraction engine) says a paper came from when it fails later
    at: tuple[str, int] | None = field(default=None, compare=False)

    def add_issue(self, issue: ReadIssue) -> None:
        """Count one issue under its category and keep it if fewer than MAX_ISSUES are kept."""
        if issue.line is None and issue.skipped:
            if issue.file not in self.failed_files:
                self.failed_files.append(issue.file)
        elif issue.skipped:
            self.skipped += 1
        else:
            self.warnings += 1
        self.reasons[reason_category(issue.reason)] += 1
        if len(self.issues) < MAX_ISSUES:
            self.issues.append(issue)

    def note_lost(self, issue: ReadIssue) -> None:
        """Count a reader's skipped record in `lost` unless it is a duplicate (its id was read)."""
        if issue.skipped and issue.line is not None and reason_category(issue.reason) != DUPLICATE_ID:
            self.lost += 1

    @property
    def complete(self) -> bool:
        """True when every input file was read to its end and no record was lost on the way."""
        return not (self.failed_files or self.lost or self.stopped_early)

    def incompleteness(self) -> str:
        """Why the input was not read completely, e.g. "1 file failed, 3 records skipped" ("" if it was)."""
        parts = []
        if self.failed_files:
            parts.append(f"{len(self.failed_files)} file(s) failed")
        if self.lost:
            parts.append(f"{self.lost} record(s) skipped")
        if self.stopped_early:
            parts.append("stopped at the limit")
        return ", ".join(parts)

    def __str__(self) -> str:
        """One line for a log or a CLI footer."""
        text = f"read {self.read} papers from {self.files} file(s)"
        if self.filtered:  # zero counts are left out: "0 warning(s)" under printed issues misleads
            text += f"; filtered out {self.filtered}"
        if self.skipped:
            text += f"; skipped {self.skipped}"
        if self.warnings:
            text += f"; {self.warnings} warning(s)"
        if self.failed_files:
            text += f"; {len(self.failed_files)} file(s) failed"
        if self.reasons:
            text += " (" + ", ".join(f"{reason}: {n}" for reason, n in self.reasons.most_common()) + ")"
        return text
