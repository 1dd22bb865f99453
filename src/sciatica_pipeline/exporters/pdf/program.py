"""The program at a glance (a table per phase, the checkpoints, the notes) and the tracking
log the patient fills in by hand."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import KeepTogether, PageBreak

from sciatica_pipeline.exporters.pdf.flowables import Slot, WriteInGrid
from sciatica_pipeline.exporters.pdf.fonts import BOLD, REGULAR
from sciatica_pipeline.exporters.pdf.parts import (
    Booklet,
    Flowables,
    bullets,
    heading,
    para,
    rich,
    spacer,
    table,
)
from sciatica_pipeline.exporters.pdf.styles import (
    ACCENT,
    ACCENT_LIGHT,
    INK,
    NOTE_LIGHT,
    RULE,
    Styles,
)
from sciatica_pipeline.exporters.wording import phase_changes, session_dosage
from sciatica_pipeline.model.content import Phase

DAYS_PER_WEEK = 7


def _grid(st: Styles, *, header_rows: int) -> list[tuple[Any, ...]]:
    pad = st.padding()
    return [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.75, colors.HexColor(RULE)),
        ("LEFTPADDING", (0, 0), (-1, -1), pad),
        ("RIGHTPADDING", (0, 0), (-1, -1), pad),
        ("TOPPADDING", (0, 0), (-1, -1), pad * 0.7),
        ("BOTTOMPADDING", (0, 0), (-1, -1), pad * 0.3),
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), colors.HexColor(ACCENT)),
    ]


def _units(b: Booklet, text: str) -> str:
    """A personal booklet gives distances in its reader's unit (`3 miles (about 5 km)`); a
    plan's booklet keeps the content's."""
    if not b.personal:
        return text
    from sciatica_pipeline.exporters.region import distances

    return distances(text, b.units_region)


def _changes(b: Booklet, phase: Phase) -> list[str]:
    """What a phase changes against the one before, in the reader's unit."""
    return [_units(b, change) for change in phase_changes(b.bundle, b.plan, phase)]


def _phase_table(b: Booklet, phase: Phase) -> Any:
    """A phase: its goals, what changes, its markers, then an exercise | how-much-in-each-
    session row per exercise.

    Every row is short, so the table breaks between rows, and repeats its band."""
    st, bundle = b.st, b.bundle
    sessions = b.plan.sessions_per_day
    data: list[list[Any]] = [
        [para(f"{phase.weeks_label}: {phase.name}", st.band), ""],
        *(
            [[para("Your dates", st.cell_bold), Slot(f"phase-{phase.number}", st.cell)]]
            if b.personal
            else []
        ),
        [para("Goals", st.cell_bold), bullets(phase.goals, st)],
    ]
    changes = _changes(b, phase)
    if changes:
        data.append([para("What changes", st.cell_bold), bullets(changes, st)])
    data += [
        [para("You are on track when", st.cell_bold), bullets(phase.progress_markers, st)],
        [para("Exercise", st.cell_head), para("In each session", st.cell_head)],
    ]
    header_row = len(data) - 1
    for rx in phase.exercises:
        exercise = bundle.exercises[rx.exercise]
        dosage = _units(b, session_dosage(bundle.dosage_in(rx), sessions))
        data.append([para(exercise.name, st.cell_bold), para(dosage, st.cell)])
    if phase.walking:
        target = _units(b, phase.walking.target)
        data.append([para("Walking target", st.cell_bold), para(target, st.cell)])
    label = st.width * 0.38
    commands = [
        *_grid(st, header_rows=1),
        ("SPAN", (0, 0), (-1, 0)),
        ("BACKGROUND", (0, 1), (0, -1), colors.HexColor(ACCENT_LIGHT)),
        ("BACKGROUND", (0, header_row), (-1, header_row), colors.HexColor(NOTE_LIGHT)),
        ("NOSPLIT", (0, header_row), (-1, header_row + 1)),
    ]
    return table(
        data,
        st,
        commands,
        widths=[label, st.width - label],
        repeatRows=1,
        spaceAfter=st.gap * 1.5,
    )


def program(b: Booklet) -> Flowables:
    st, plan = b.st, b.plan
    sessions = "1 session" if plan.sessions_per_day == 1 else f"{plan.sessions_per_day} sessions"
    story: Flowables = [heading("Your program at a glance", st.h1, key="program")]
    if plan.summary:
        story.append(para(plan.summary, st.body))
    story.append(
        para(
            f"The plan lasts {plan.duration_weeks} weeks, with {sessions} of exercise a day. "
            "In each session, do every exercise listed for the weeks you are in, as much as "
            "its row says.",
            st.body,
        )
    )
    if b.personal:
        story.append(_sessions(b))
    story += [_phase_table(b, phase) for phase in plan.phases]
    if plan.checkpoints:
        story.append(heading("Checkpoints", st.h2, key="checkpoints", level=1, toc=False))
        story.append(para("Stop and check how you are doing at these points.", st.body))
        story.append(_checkpoints(b))
    if plan.notes:
        story.append(heading("Notes", st.h2, key="notes", level=1, toc=False))
        story += bullets(plan.notes, st)
    story.append(PageBreak())
    return story


def _sessions(b: Booklet) -> Any:
    """A personal booklet's session times, on a line of their own under their label: in
    large print they would not fit beside it."""
    st = b.st
    return table(
        [[para("Your sessions each day", st.cell_bold)], [Slot("sessions", st.cell)]],
        st,
        [
            ("LINEBELOW", (0, 1), (0, 1), 1, colors.HexColor(RULE)),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ],
        widths=[st.width],
        spaceAfter=st.gap,
    )


def _checkpoints(b: Booklet) -> Any:
    """One row per week, holding every checkpoint of that week."""
    st, bundle = b.st, b.bundle
    data: list[list[Any]] = [[para("End of week", st.band), para("What to check", st.band)]]
    weeks: dict[int, list[Any]] = {}
    for checkpoint in b.plan.checkpoints:
        cell = weeks.setdefault(checkpoint.after_week, [])
        cell += [para(checkpoint.title, st.cell_bold), para(checkpoint.text, st.cell)]
        if checkpoint.precaution:
            p = bundle.precautions[checkpoint.precaution]
            cell.append(rich(f"<b>{escape(p.title)}:</b> {escape(p.action)}", st.cell))
    data += [
        [
            para(f"Week {week}", st.cell_bold),
            # A personal booklet gives the day the week ends first: "Sunday, 21 March 2027".
            [Slot(f"checkpoint-{week}", st.cell_bold), *cell] if b.personal else cell,
        ]
        for week, cell in sorted(weeks.items())
    ]
    label = st.width * (0.24 if st.large else 0.2)
    return table(
        data,
        st,
        _grid(st, header_rows=1),
        widths=[label, st.width - label],
        repeatRows=1,
        spaceAfter=st.gap,
    )


def tracking_log(b: Booklet) -> Flowables:
    st, plan = b.st, b.plan
    story: Flowables = [
        heading("Your tracking log", st.h1, key="tracking-log"),
        para(
            "After each session, write your pain from 0 to 10 in that session's box. Leave "
            "the box empty if you missed the session. Use the notes for anything you want to "
            "tell your clinician, and bring this log to your visits.",
            st.body,
        ),
        _pain_scale(st),
    ]
    checkpoints: dict[int, list[str]] = {}
    for c in plan.checkpoints:
        checkpoints.setdefault(c.after_week, []).append(c.title)
    for week in range(1, plan.duration_weeks + 1):
        block: Flowables = [_week_table(b, week), spacer(st, 0.4)]
        if week in checkpoints:
            titles = "; ".join(checkpoints[week])
            block.insert(
                0, rich(f"<b>End of this week:</b> {escape(titles)} (see Checkpoints).", st.body)
            )
        story.append(KeepTogether(block))
    story.append(PageBreak())
    return story


def _pain_scale(st: Styles) -> Any:
    cells = [para(str(n), st.big_value) for n in range(11)]
    right = ParagraphStyle("scale_right", parent=st.cell, alignment=TA_RIGHT)
    labels: list[Any] = [para("0 = no pain", st.cell), "", "", "", "", ""]
    labels += [para("10 = worst pain you can imagine", right), "", "", "", ""]
    size = st.width / 11
    return table(
        [cells, labels],
        st,
        [
            ("GRID", (0, 0), (-1, 0), 0.75, colors.HexColor(RULE)),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(NOTE_LIGHT)),
            ("SPAN", (0, 1), (4, 1)),
            ("SPAN", (6, 1), (10, 1)),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), 2),
            ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ],
        widths=[size] * 11,
        spaceAfter=st.gap * 1.5,
    )


def _phase_of(b: Booklet, week: int) -> Phase | None:
    for phase in b.plan.phases:
        if phase.week_from <= week <= phase.week_to:
            return phase
    return None


def _week_table(b: Booklet, week: int) -> Any:
    """A week of the log: a row per day, a pain box per session, and room for notes: a column
    in the standard edition; ruled lines under the grid in large print, where a column would
    be too narrow to write in.

    Columns are as wide as their headings need, and wide enough to write in."""
    st, plan = b.st, b.plan
    n = plan.sessions_per_day
    phase = _phase_of(b, week)
    size = st.body_size

    def fit(*lines: str) -> float:
        return float(max(stringWidth(line, BOLD, size) for line in lines)) + size * 1.2

    day_w = fit("Day 7")
    sessions = [f"Session {i}\npain 0-10" for i in range(1, n + 1)]
    if st.large:
        rest = (st.width - day_w) / (n + 1)
        widths = [day_w, *[rest] * (n + 1)]
        headings = ["Day", "Date", *sessions]
    else:
        # A personal booklet's dates are written in ("Wed, Sep 29"): room for the longest.
        date_w = max(fit("Date", *(["Wed, Sep 29", "Mi., 29. Sept."] if b.personal else [])), 72.0)
        session_w = max(fit("Session 9", "pain 0-10"), 60.0)
        widths = [day_w, date_w, *[session_w] * n, st.width - day_w - date_w - session_w * n]
        headings = ["Day", "Date", *sessions, "Notes"]
    return WriteInGrid(
        f"Week {week}" + (f": {phase.name}" if phase else ""),
        headings,
        [f"Day {d}" for d in range(1, DAYS_PER_WEEK + 1)],
        widths,
        font=REGULAR,
        bold=BOLD,
        size=size,
        row_height=st.log_row,
        colours=(ACCENT, RULE, ACCENT_LIGHT, INK),
        # Two lines, so a large-print week and its checkpoint line fit one page.
        note_lines=2 if st.large else 0,
        band_key=f"log-week-{week}" if b.personal else None,
        row_keys=[f"log-day-{week}-{d}" for d in range(1, DAYS_PER_WEEK + 1)]
        if b.personal
        else None,
    )
