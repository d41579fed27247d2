"""The report as Markdown that fits a GitHub pull-request comment.

Everything taken from telemetry (SQL, routes, titles, ...) is escaped, so a statement can neither
break a table nor inject HTML, and the whole text is capped at GitHub's comment limit with a note
saying what was left out.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import datetime

from e2e_otel.analyzers.models import Recommendation, Report, Section
from e2e_otel.publish._budget import Block, fit
from e2e_otel.publish._format import (
    NONE,
    evidence_fields,
    figure_items,
    format_cell,
    format_saving,
    format_window,
    ranked,
    sampling_note,
    shorten,
    verdict,
)
from e2e_otel.publish.json_report import iso_utc

__all__ = ["GITHUB_COMMENT_LIMIT", "md_code", "md_text", "render_markdown"]

# GitHub rejects comment bodies over 65 536 characters.
GITHUB_COMMENT_LIMIT = 65_536
# Room for the header (its values are cut to TEXT_LIMIT) and the truncation note.
MIN_CHARS = 2_000
PRIORITY_MARK = {"high": "🔴 high", "medium": "🟠 medium", "low": "🟡 low"}
# Per-value caps keep one huge statement from crowding everything else out of the comment.
TEXT_LIMIT = 300
CELL_LIMIT = 160
CODE_LIMIT = 2_000
DESCRIPTION_LIMIT = 2_000
MAX_STEPS = 20
MAX_TRACE_IDS = 5
MAX_PROBLEMS = 20

# Characters with a meaning anywhere in a line ($ opens GitHub math, # can close a heading);
# those that only matter at the start of a line (- + = and "1.") are escaped there only.
_SPECIAL = re.compile(r"[\\`*_\[\]|~$<>&#]")
_LIST_NUMBER = re.compile(r"\d+(?=[.)])")
_AUTOLINK = re.compile(r"(?i)(?:www\.|(?:https?|ftp):)")
_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def md_text(text: str, limit: int = TEXT_LIMIT) -> str:
    """``text`` as inert inline Markdown: whitespace folded to one line, Markdown punctuation
    backslash-escaped (``|`` too, so it is safe in a table cell), ``<>&`` as entities."""
    flat = shorten(" ".join(text.split()), limit)
    escaped = _SPECIAL.sub(lambda m: _ENTITIES.get(m.group(), "\\" + m.group()), flat)
    # GitHub turns www.x and http://x into links; an escape in the pattern stops it.
    escaped = _AUTOLINK.sub(lambda m: f"{m.group()[:-1]}\\{m.group()[-1]}", escaped)
    # "- x", "1. x" at the start of a line would open a list.
    if number := _LIST_NUMBER.match(escaped):
        return f"{number.group()}\\{escaped[number.end() :]}"
    return "\\" + escaped if escaped[:1] in ("-", "+", "=") else escaped


def md_code(text: str, *, in_table: bool = False, limit: int = CODE_LIMIT) -> str:
    """``text`` as a code span: a backtick fence longer than any run inside, one line; in a
    table cell ``|`` is escaped too (GFM splits cells before it parses code spans)."""
    flat = shorten(" ".join(text.split()), limit)
    if not flat:
        return NONE
    if in_table and "\\|" in flat:
        # GFM reads "\\|" as an escaped backslash then a cell border, and code spans cannot
        # escape the backslash: plain escaped text is the only faithful form.
        return md_text(flat, limit)
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {flat} " if flat[0] in "` " or flat[-1] in "` " else flat
    if in_table:
        padded = padded.replace("|", "\\|")
    return f"{fence}{padded}{fence}"


def _header(report: Report) -> Block:
    lines = [
        "### e2e-otel analysis",
        "",
        f"**{md_text(verdict(report))}**",
        "",
        f"Source {md_code(report.source, limit=TEXT_LIMIT)} · window "
        f"{md_text(format_window(report))} · generated {md_text(iso_utc(report.generated_at))}",
    ]
    return Block("\n".join(lines) + "\n")


def _problems(report: Report) -> Block:
    lines = [
        "> [!WARNING]",
        "> **Incomplete report:** part of the input could not be read, so figures may be low "
        "and findings may be missing.",
    ]
    lines += [f"> - {md_text(problem)}" for problem in report.problems[:MAX_PROBLEMS]]
    if len(report.problems) > MAX_PROBLEMS:
        lines.append(f"> - … and {len(report.problems) - MAX_PROBLEMS} more")
    return Block("\n".join(lines) + "\n")


def _sampling(note: str) -> Block:
    return Block(f"> [!NOTE]\n> **Sampled traces:** {md_text(note, DESCRIPTION_LIMIT)}\n")


def _table(title: str, header: list[str], rows: Iterable[Iterable[str]], tail: str = "") -> Block:
    head = f"#### {title}\n\n| " + " | ".join(header) + " |\n|" + "---|" * len(header) + "\n"
    return Block(head, tuple("| " + " | ".join(row) + " |" for row in rows), tail)


def _recommendation_table(
    recs: list[Recommendation], total: int, title: str = "Recommendations", first: int = 1
) -> Block:
    rows = [
        [str(n), PRIORITY_MARK[rec.priority], md_text(rec.title), md_text(format_saving(rec))]
        for n, rec in enumerate(recs, first)
    ]
    more = total - len(recs)
    tail = f"\n_… and {more} more in the JSON and HTML reports._\n" if more else ""
    return _table(title, ["#", "Priority", "Recommendation", "Expected saving"], rows, tail)


def _details(number: int, rec: Recommendation, sampled: bool = False) -> Block:
    summary = (
        f"<b>{number}. {PRIORITY_MARK[rec.priority]}</b> · "
        f"{html.escape(shorten(' '.join(rec.title.split()), TEXT_LIMIT))} · "
        f"{html.escape(format_saving(rec))}"
    )
    lines = [
        "<details>",
        f"<summary>{summary}</summary>",
        "",
        md_text(rec.description, DESCRIPTION_LIMIT),
    ]
    lines += [
        "",
        f"Rule {md_code(rec.rule)} · category {md_text(rec.category)} · id {md_code(rec.id)}",
    ]
    if rec.steps:
        lines += ["", "**Steps**", ""]
        lines += [f"{n}. {md_text(step)}" for n, step in enumerate(rec.steps[:MAX_STEPS], 1)]
        if len(rec.steps) > MAX_STEPS:
            lines.append(f"{MAX_STEPS + 1}. … and {len(rec.steps) - MAX_STEPS} more steps")
    of_kept = " (of the kept traces)" if sampled else ""
    lines += ["", "**Evidence**", ""]
    lines += [
        f"- {label}: {md_code(value, limit=TEXT_LIMIT)}" for label, value in evidence_fields(rec)
    ]
    if rec.evidence.fingerprint:
        lines.append(f"- Statement: {md_code(rec.evidence.fingerprint)}")
    if rec.evidence.figures:
        figures = " · ".join(f"{md_text(name)} {value}" for name, value in figure_items(rec))
        lines.append(f"- Figures{of_kept}: {figures}")
    if rec.evidence.trace_ids:
        traces = ", ".join(md_code(t, limit=64) for t in rec.evidence.trace_ids[:MAX_TRACE_IDS])
        lines.append(f"- Example traces: {traces}")
    lines += ["", "</details>"]
    return Block("\n".join(lines) + "\n")


def _section(section: Section, max_rows: int) -> Block:
    shown = section.rows[:max_rows]
    count = f"top {len(shown)} of {len(section.rows)}" if len(section.rows) > max_rows else ""
    title = md_text(section.title) + (f" ({count})" if count else "")
    rows = [[_cell(value) for value in row] for row in shown]
    return _table(title, [md_text(c) for c in section.columns], rows)


def _cell(value: object) -> str:
    if isinstance(value, str):
        # Statements and routes read best as code, and code spans cannot turn into markup.
        return md_code(value, in_table=True, limit=CELL_LIMIT) if value else ""
    if value is None or isinstance(value, int | float | datetime):
        return format_cell(value)  # our own formatting: digits, separators, a date, a dash
    return md_text(format_cell(value))


def render_markdown(
    report: Report,
    max_recommendations: int = 10,
    *,
    max_rows: int = 10,
    max_chars: int = GITHUB_COMMENT_LIMIT,
) -> str:
    """The report as GitHub-flavoured Markdown for a PR comment.

    Layout: the verdict line (counts by priority, complete or not), the problems when the report
    is incomplete, the note on sampled traces when they came from a sampling tier, a table of
    the first ``max_recommendations`` recommendations in the order of ``ranked`` (priority,
    title, expected saving), a collapsible ``<details>`` block for each with
    steps and evidence, the client-error hotspots in a table of their own, then each section
    that has rows as a table of its first ``max_rows`` rows (empty ones are left out). The
    result never exceeds ``max_chars`` (at least 2 000): parts are taken in that order while
    they fit, the first one that does not is cut to the table rows that fit (or left out), and
    a final note says what is missing.
    """
    if max_chars < MIN_CHARS:
        raise ValueError(f"max_chars must be at least {MIN_CHARS}, got {max_chars}")
    recs, client = ranked(report)
    shown = recs[:max_recommendations]
    blocks = [_header(report)]
    if not report.complete or report.problems:
        blocks.append(_problems(report))
    if note := sampling_note(report):
        blocks.append(_sampling(note))
    blocks.append(
        _recommendation_table(shown, len(recs)) if recs else Block("_No recommendations._\n")
    )
    sampled = report.sampling is not None
    blocks += [_details(n, rec, sampled) for n, rec in enumerate(shown, 1)]
    if client:
        blocks.append(
            _recommendation_table(
                client[:max_recommendations],
                len(client),
                "Client errors (4xx: expected ones, such as failed logins, included)",
                len(recs) + 1,
            )
        )
    blocks += [_section(section, max_rows) for section in report.sections if section.rows]
    return fit(blocks, max_chars)
