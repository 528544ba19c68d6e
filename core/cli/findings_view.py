"""`hub findings`: its filters, checked with a clear message, and its output (a count per kind
first, so one account enabled after termination is not buried under 83 unowned resources)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta
from typing import cast

from core import clock
from core.cli.layout import Records, show
from core.cli.output import console
from core.errors import ConfigError
from core.resolve.findings import Finding
from core.vocabulary import FINDING_KINDS, FINDING_SEVERITY, SEVERITIES, FindingSeverity


def parse_filters(
    kinds: list[str] | None, since: str | None, severity: str | None
) -> tuple[list[str] | None, str | None, FindingSeverity | None]:
    """(kinds, ISO day, severity) from the options; ConfigError names what is accepted."""
    for name in kinds or []:
        if name not in FINDING_KINDS:
            raise ConfigError(
                f"--kind {name!r} is not a finding kind", hint=f"one of {', '.join(FINDING_KINDS)}"
            )
    if severity is not None and severity not in SEVERITIES:
        raise ConfigError(
            f"--severity {severity!r} is not a severity", hint=f"one of {', '.join(SEVERITIES)}"
        )
    return kinds or None, _since_day(since), cast(FindingSeverity | None, severity)


def _since_day(since: str | None) -> str | None:
    if not since:
        return None
    days = re.fullmatch(r"(\d+)d", since.strip())
    if days:
        return (clock.today() - timedelta(days=int(days.group(1)))).isoformat()
    try:
        return date.fromisoformat(since.strip()).isoformat()
    except ValueError:
        raise ConfigError(
            f"--since {since!r} is neither a date nor a number of days", hint="e.g. 2026-03-01 or 30d"
        ) from None


def show_findings(found: list[Finding], kept: list[Finding], *, wide: bool) -> None:
    counts = Counter(f["kind"] for f in found)
    summary = ", ".join(
        f"{counts[k]} {k} ({FINDING_SEVERITY[k]})"
        for k in sorted(counts, key=lambda k: (SEVERITIES.index(FINDING_SEVERITY[k]), k))
    )
    console.print(f"{len(found)} findings: {summary or 'none'}", highlight=False)
    rows = [
        [f["kind"], f["severity"], f["subject"], f["employee_id"] or "-", f["since"] or "-", f["detail"]]
        for f in kept
    ]
    title = f"Findings ({len(kept)} shown)" if len(kept) != len(found) else f"Findings ({len(found)})"
    columns = ["kind", "severity", "subject", "employee", "since", "detail"]
    show(console, Records(title, columns, rows, key_column=2), wide=wide)
