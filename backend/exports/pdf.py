"""PDF brief: cover, summary, figures, deteriorations, region pages, methodology appendix.

Built with reportlab in ``invariant`` mode, so the same manifest and figures give the same
bytes. Every text from the data (names, explanations, comments, rule YAML) is escaped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from io import BytesIO
from typing import Any

from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    PageBreak,
    Preformatted,
    SimpleDocTemplate,
    Spacer,
)

from backend.exports.pdf_charts import series_chart
from backend.exports.pdf_style import MARGIN, PAGE, STYLES, image, para, table
from backend.exports.summary import change_summary, executive_summary, fmt, pct

SERIES_PERIODS = 20
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
Flows = list[Flowable]


def _decorate(manifest: Mapping[str, Any]) -> Any:
    marking = str(manifest["classification"])

    def draw(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica-Bold", 9)
        canvas.drawCentredString(PAGE[0] / 2, PAGE[1] - 1.1 * cm, marking)
        canvas.drawCentredString(PAGE[0] / 2, 0.9 * cm, marking)
        canvas.setFont("Helvetica", 8)
        canvas.drawString(MARGIN, 0.9 * cm, f"Tocsin snapshot {manifest['quarter']}")
        canvas.drawRightString(PAGE[0] - MARGIN, 0.9 * cm, f"Page {doc.page}")
        canvas.restoreState()

    return draw


def cover(manifest: Mapping[str, Any], snapshot_id: int, sha: str) -> Flows:
    """Return the cover page."""
    return [
        Spacer(1, 5 * cm), para(str(manifest["classification"]), "h1"),
        para(f"Quarterly brief {manifest['quarter']}", "title"),
        para(f"Period {manifest['period_start']} to {manifest['period_end']}", "cover"),
        para(f"Data as of {manifest['created_at'][:10]} (snapshot {snapshot_id})", "cover"),
        Spacer(1, 1 * cm), para(manifest["policy"]),
        Spacer(1, 0.5 * cm), para(f"Content sha256: {sha}", "cell"), PageBreak(),
    ]  # fmt: skip


def summary(manifest: Mapping[str, Any], figures: Mapping[str, bytes]) -> Flows:
    """Return the executive summary, what changed, the heat map and the timeline."""
    out: Flows = [para("Executive summary", "h1")]
    out += [para(p) for p in executive_summary(manifest)]
    out += [para("What changed since last quarter", "h2"), para(change_summary(manifest))]
    ch = manifest["changes"]
    rows = [(k, a["region_name"], a["rule"], a["period"], a["severity"])
            for k in ("new", "escalated", "resolved") for a in ch[k]]  # fmt: skip
    if rows:
        out.append(table(("change", "region", "rule", "period", "severity"), rows[:40],
                         (0.14, 0.3, 0.3, 0.12, 0.14)))  # fmt: skip
    if ch["ranks"]:
        out.append(Spacer(1, 0.3 * cm))
        ranked = [(r["region_name"], r["indicator"], r["previous_rank"], r["rank"])
                  for r in ch["ranks"][:15]]  # fmt: skip
        out.append(table(("region", "indicator", "previous rank", "rank"), ranked,
                         (0.4, 0.3, 0.15, 0.15)))  # fmt: skip
    for name, caption in (("heatmap", "Regional heat map"), ("timeline", "Alert timeline")):
        if name in figures:
            out += [CondPageBreak(12 * cm), para(caption, "h2"), image(figures[name])]
    return out


def _valued(value: float | None, period: str | None) -> str:
    return f"{fmt(value, 2)} ({period})"


def deteriorations(manifest: Mapping[str, Any], figures: Mapping[str, bytes]) -> Flows:
    """Return the table (and chart) of the ten largest deteriorations."""
    rows = [
        (m["region_name"], m["indicator"], _valued(m["previous_value"], m["previous_period"]),
         _valued(m["value"], m["period"]), f"+{m['change']:.2f} ({pct(m['change_pct'])})",
         m["rank"])
        for m in manifest["movers"]
    ]  # fmt: skip
    out: Flows = [PageBreak(), para("The ten largest deteriorations", "h1")]
    if not rows:
        return [*out, para("No region's latest value deteriorated.")]
    out.append(table(("region", "indicator", "previous", "latest", "change", "rank"), rows,
                     (0.25, 0.16, 0.16, 0.16, 0.19, 0.08)))  # fmt: skip
    if "movers" in figures:
        out += [Spacer(1, 0.4 * cm), image(figures["movers"], max_height=11 * cm)]
    return out


def documents(docs: Sequence[Mapping[str, Any]], title: str = "Security Council activity") -> Flows:
    """Return the table of Security Council documents."""
    out: Flows = [para(title, "h2")]
    if not docs:
        return [*out, para("No Security Council document of the quarter is on record.")]
    rows = [(d["date"], d["symbol"], d["kind"], d["title"]) for d in docs]
    return [*out, table(("date", "symbol", "kind", "title"), rows, (0.13, 0.2, 0.12, 0.55))]


def _region_charts(region: str, manifest: Mapping[str, Any]) -> Flows:
    out: Flows = []
    for indicator in manifest["indicators"]:
        obs = [o for o in manifest["observations"]
               if o["indicator"] == indicator["code"] and o["region"] == region]  # fmt: skip
        if obs:
            title = f"{indicator['name']}, last {min(len(obs), SERIES_PERIODS)} periods"
            chart = series_chart(obs[-SERIES_PERIODS:], title, indicator["unit"])
            out += [Spacer(1, 0.3 * cm), chart]
    return out


def _region_page(region: str, alerts: list[Mapping[str, Any]], manifest: Mapping[str, Any],
                 figures: Mapping[str, bytes]) -> Flows:  # fmt: skip
    out: Flows = [PageBreak(), para(f"{alerts[0]['region_name']} ({region})", "h1")]
    rows = [(a["rule"], a["period"], a["severity"], a["state"], a["triage"], a["explanation"])
            for a in alerts]  # fmt: skip
    out.append(table(("rule", "period", "severity", "state at end", "triage", "explanation"),
                     rows, (0.17, 0.08, 0.1, 0.1, 0.12, 0.43)))  # fmt: skip
    out += _region_charts(region, manifest)
    comments = [(c, a) for a in alerts for c in a.get("comments", [])]
    if comments:
        out.append(para("Analyst comments", "h2"))
        out += [para(f"{c['at'][:10]} {c['author']} on {a['rule']} {a['period']}: {c['body']}")
                for c, a in comments]  # fmt: skip
    mine = [d for d in manifest["documents"] if region in d["regions"]]
    if mine:
        out += documents(mine)
    return out


def region_pages(manifest: Mapping[str, Any], figures: Mapping[str, bytes]) -> Flows:
    """Return one page per region with alerts, most severe regions first."""
    by_region: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for alert in manifest["alerts"]:
        by_region[alert["region"]].append(alert)

    def order(code: str) -> tuple[int, str]:
        return min(SEVERITY_ORDER[a["severity"]] for a in by_region[code]), code

    out: Flows = []
    for code in sorted(by_region, key=order):
        out += _region_page(code, by_region[code], manifest, figures)
    return out


def _when(stamp: str | None) -> str | None:
    return stamp[:16].replace("T", " ") if stamp else None


def appendix(manifest: Mapping[str, Any], sha: str) -> Flows:
    """Return methodology and provenance: sources, releases, rule texts and hashes."""
    out: Flows = [
        PageBreak(),
        para("Appendix: methodology and provenance", "h1"),
        para(manifest["policy"]),
        para(METHOD),
        para("Sources and releases", "h2"),
    ]
    rows = [(s["id"], s["publisher"], s["licence"], s["observations"], s["latest_vintage"],
             _when(s["retrieved_at"]), "yes" if s["stale"] else "no", s["payload_sha256"])
            for s in manifest["sources"]]  # fmt: skip
    out.append(table(("source", "publisher", "licence", "obs.", "latest vintage", "retrieved",
                      "stale", "payload sha256"), rows,
                     (0.16, 0.15, 0.14, 0.07, 0.1, 0.1, 0.06, 0.22)))  # fmt: skip
    out += [para("Rule versions", "h2")]
    for rule in manifest["rules"]:
        out.append(KeepTogether([
            para(f"{rule['name']} v{rule['version']} (saved {rule['saved_at'][:10]} by "
                 f"{rule['author']}; sha256 {rule['sha256']})", "cell"),
            Preformatted(rule["definition"], STYLES["code"], maxLineLength=110),
        ]))  # fmt: skip
    out += [para("Hashes", "h2"), para(f"Snapshot content sha256: {sha}", "cell"),
            para(f"Observations sha256: {manifest['observations_sha256']} "
                 f"({len(manifest['observations'])} values)", "cell")]  # fmt: skip
    return out


METHOD = (
    "Scores: for each indicator and region, the latest value up to the quarter's end and its "
    "change against the region's previous period with data. Ranks order regions from the "
    "worst value (1). Deteriorations are ranked by absolute change in the direction that "
    "means more risk, among values at most two years older than the newest period. Alerts "
    "come from the rule versions listed below; an alert counts as active when its state at "
    "the quarter's end was pending or firing."
)


def export_pdf(
    manifest: Mapping[str, Any], *, snapshot_id: int, content_sha256: str,
    figures: Mapping[str, bytes],
) -> bytes:  # fmt: skip
    """Return the PDF brief's bytes (deterministic: reportlab invariant mode)."""
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
        bottomMargin=MARGIN, invariant=1, title=f"Tocsin quarterly brief {manifest['quarter']}",
        author="Tocsin", subject=f"snapshot {snapshot_id} sha256 {content_sha256}",
    )  # fmt: skip
    story = cover(manifest, snapshot_id, content_sha256)
    story += summary(manifest, figures) + deteriorations(manifest, figures)
    story += [Spacer(1, 0.5 * cm), *documents(manifest["documents"])]
    story += region_pages(manifest, figures) + appendix(manifest, content_sha256)
    draw = _decorate(manifest)
    doc.build(story, onFirstPage=draw, onLaterPages=draw)
    return buffer.getvalue()
