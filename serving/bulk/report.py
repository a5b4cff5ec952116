"""`churnlens report OUTPUT`: the summary of a scored file as JSON and as one self-contained HTML page with
charts drawn in inline SVG (no scripts, no network), so it opens offline anywhere."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from serving.bulk.summary import Summary
from serving.bulk.tableio import detect_format, read_chunks
from serving.labels import CLASSIC_STUDY_SHARES, REASONS, SENTIMENTS

REASON_COLOURS = {
    "died": "#6b6b6b",
    "moved": "#8c6bb1",
    "other_contacts": "#2b8cbe",
    "price": "#f0a30a",
    "quality": "#41ab5d",
    "treatment": "#d7301f",
    "none": "#bdbdbd",
}
SENTIMENT_COLOURS = {"negative": "#d7301f", "neutral": "#bdbdbd", "positive": "#41ab5d"}
OURS, CLASSIC = "#1f4e79", "#9ecae1"


def summarise_file(path: str | Path, fmt: str | None = None, chunk_rows: int = 65536) -> Summary:
    path = Path(path)
    fmt = detect_format(path, fmt)
    summary = Summary()
    if fmt == "parquet":
        pf = pq.ParquetFile(path)
        for batch in pf.iter_batches(batch_size=chunk_rows, columns=[*Summary.COLUMNS, "model"]):
            summary.add_table(_table(batch))
            summary.model = summary.model or (batch.column("model")[0].as_py() if batch.num_rows else "")
    else:
        for table in read_chunks(path, fmt, chunk_rows):
            t = table.select([*Summary.COLUMNS, "model"])
            if fmt in ("csv", "tsv"):
                t = _typed(t)
            summary.add_table(t)
            summary.model = summary.model or (t.column("model")[0].as_py() if t.num_rows else "")
    return summary


def _table(batch):
    import pyarrow as pa

    return pa.Table.from_batches([batch])


def _typed(table):
    """CSV/TSV columns come back as text: turn needs_review and error back into what they were."""
    import pyarrow as pa

    review = [None if v is None else v.lower() == "true" for v in table.column("needs_review").to_pylist()]
    error = [v or None for v in table.column("error").to_pylist()]
    reason = [v or None for v in table.column("reason").to_pylist()]
    return (
        table.set_column(table.schema.get_field_index("needs_review"), "needs_review", pa.array(review))
        .set_column(table.schema.get_field_index("error"), "error", pa.array(error, type=pa.string()))
        .set_column(table.schema.get_field_index("reason"), "reason", pa.array(reason, type=pa.string()))
    )


def _bar_chart(
    title: str, groups: list[str], series: dict[str, list[float]], colours: dict[str, str], percent: bool = True
) -> str:
    """Grouped horizontal bars: one row per group, one bar per series."""
    width, label_w, bar_h, gap = 720, 140, 14, 10
    n_series = len(series)
    row_h = n_series * bar_h + gap
    height = 40 + len(groups) * row_h + 30
    peak = max([v for vals in series.values() for v in vals] + [1e-9])
    scale = (width - label_w - 70) / peak
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" role="img" '
        f'aria-label="{html.escape(title)}">',
        f'<text x="0" y="18" font-size="15" font-weight="bold">{html.escape(title)}</text>',
    ]
    for gi, group in enumerate(groups):
        y0 = 40 + gi * row_h
        parts.append(f'<text x="0" y="{y0 + n_series * bar_h / 2 + 4}" font-size="12">{html.escape(group)}</text>')
        for si, (name, values) in enumerate(series.items()):
            v = values[gi]
            y = y0 + si * bar_h
            w = max(0.0, v * scale)
            parts.append(
                f'<rect class="bar" data-series="{html.escape(name)}" x="{label_w}" y="{y}" width="{w:.1f}" '
                f'height="{bar_h - 2}" fill="{colours[name]}"><title>{html.escape(name)}: '
                f"{v:.1%}</title></rect>"
            )
            text = f"{v:.1%}" if percent else f"{v:g}"
            parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 4}" font-size="10">{text}</text>')
    legend_y = height - 12
    for i, (name, colour) in enumerate((n, colours[n]) for n in series):
        x = label_w + i * 150
        parts.append(f'<rect x="{x}" y="{legend_y - 9}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{legend_y}" font-size="11">{html.escape(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _stacked_chart(title: str, groups: list[str], shares: list[dict[str, float]], colours: dict[str, str]) -> str:
    """One 100 % stacked horizontal bar per group."""
    width, label_w, bar_h, gap = 720, 140, 18, 8
    height = 40 + len(groups) * (bar_h + gap) + 30
    inner = width - label_w - 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" role="img" '
        f'aria-label="{html.escape(title)}">',
        f'<text x="0" y="18" font-size="15" font-weight="bold">{html.escape(title)}</text>',
    ]
    for gi, (group, share) in enumerate(zip(groups, shares, strict=True)):
        y = 40 + gi * (bar_h + gap)
        parts.append(f'<text x="0" y="{y + bar_h - 5}" font-size="12">{html.escape(group)}</text>')
        x = float(label_w)
        for name, colour in colours.items():
            w = share.get(name, 0.0) * inner
            if w > 0:
                parts.append(
                    f'<rect class="bar" data-series="{html.escape(name)}" x="{x:.1f}" y="{y}" width="{w:.1f}" '
                    f'height="{bar_h}" fill="{colour}"><title>{html.escape(group)} / {html.escape(name)}: '
                    f"{share.get(name, 0.0):.1%}</title></rect>"
                )
            x += w
    legend_y, x = height - 10, float(label_w)
    for name, colour in colours.items():
        parts.append(f'<rect x="{x:.0f}" y="{legend_y - 9}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 13:.0f}" y="{legend_y}" font-size="10">{html.escape(name)}</text>')
        x += 24 + 6 * len(name)
    parts.append("</svg>")
    return "\n".join(parts)


def _norm(counts: dict[str, int]) -> dict[str, float]:
    total = sum(counts.values())
    return {k: v / total for k, v in counts.items()} if total else {}


def render_html(data: dict[str, Any], title: str = "churnlens report") -> str:
    churn = list(CLASSIC_STUDY_SHARES)
    vs = data["churn_reasons_vs_classic_study"]
    chart1 = _bar_chart(
        "Why customers leave: your messages vs the classic study (share of churn reasons)",
        churn,
        {"your messages": [vs[r]["share"] for r in churn], "classic study": [vs[r]["classic_study"] for r in churn]},
        {"your messages": OURS, "classic study": CLASSIC},
    )
    langs = list(data["reason_by_language"])
    chart2 = _stacked_chart(
        "Reasons by language", langs, [_norm(data["reason_by_language"][lang]) for lang in langs], REASON_COLOURS
    )
    chart3 = _stacked_chart(
        "Sentiment by reason",
        list(REASONS),
        [_norm(data["sentiment_by_reason"][r]) for r in REASONS],
        SENTIMENT_COLOURS,
    )
    rows = "\n".join(
        f"<tr><td>{r}</td><td>{data['reasons'][r]['count']:,}</td><td>{data['reasons'][r]['share']:.1%}</td>"
        f"<td>{vs[r]['share']:.1%}</td><td>{vs[r]['classic_study']:.0%}</td></tr>"
        if r in vs
        else f"<tr><td>{r}</td><td>{data['reasons'][r]['count']:,}</td><td>{data['reasons'][r]['share']:.1%}</td>"
        "<td>–</td><td>–</td></tr>"
        for r in REASONS
    )
    sent = " · ".join(f"{s} {data['sentiments'][s]['share']:.1%}" for s in SENTIMENTS)
    lang = " · ".join(f"{k} {v['share']:.1%}" for k, v in data["languages"].items())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:780px;color:#222}}
table{{border-collapse:collapse}}td,th{{padding:2px 10px;border-bottom:1px solid #ddd;text-align:right}}
td:first-child,th:first-child{{text-align:left}}.big{{font-size:1.4rem}}svg{{margin:1rem 0;display:block}}</style>
</head><body>
<h1>{html.escape(title)}</h1>
<p class="big">Treatment is <b>{data["treatment_share_of_churn_reasons"]:.0%}</b> of the churn reasons in your
messages, against 68 % in the classic study.</p>
<p>{data["rows"]:,} rows · {data["scored"]:,} scored · {data["errors"]:,} with errors ·
{data["needs_review"]:,} flagged for review · model {html.escape(str(data["model"]))}</p>
{chart1}
<table><tr><th>reason</th><th>messages</th><th>share of all</th><th>share of churn reasons</th>
<th>classic study</th></tr>
{rows}
</table>
<p>Sentiment: {sent}</p><p>Languages: {lang}</p>
{chart2}
{chart3}
</body></html>
"""


def write_report(scored: str | Path, out_prefix: str | Path | None = None, fmt: str | None = None) -> tuple[Path, Path]:
    summary = summarise_file(scored, fmt)
    data = summary.to_json()
    prefix = Path(out_prefix) if out_prefix else Path(str(scored) + ".report")
    json_path, html_path = prefix.with_suffix(".json"), prefix.with_suffix(".html")
    json_path.write_text(json.dumps(data, indent=2) + "\n")
    html_path.write_text(render_html(data, f"churnlens report: {Path(scored).name}"), encoding="utf-8")
    return json_path, html_path
