"""The human-readable report of a run: one self-contained HTML file (figures embedded).

It joins what the other modules produce (quality profiles, compliance of each source,
harmonisation intake and rejects, border-crossing classification, mirror asymmetry and
reconciliation) into the page a statistician reads first.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = ["render_report", "write_report"]

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#1d2733;
background:#f6f7f9;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:24px 32px 64px;background:#fff}
h1{font-size:1.7em;margin:0.2em 0}h2{border-bottom:2px solid #dde3ea;padding-bottom:4px;
margin-top:2.2em}h3{margin-top:1.4em}
.banner{background:#fff4ce;border:1px solid #e0c25c;padding:10px 14px;border-radius:6px}
.meta{color:#56606b;font-size:0.92em}
table{border-collapse:collapse;font-size:0.86em;margin:8px 0 16px}
th{background:#eef1f5;text-align:left;padding:5px 8px;border-bottom:1px solid #c9d1da}
td{padding:4px 8px;border-bottom:1px solid #eceff3;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:10px 0 20px}figure img{max-width:100%;border:1px solid #e3e7ec}
figcaption{font-size:0.88em;color:#56606b;max-width:900px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.card{flex:1 1 200px;border:1px solid #dde3ea;border-radius:6px;padding:10px 14px}
.card b{display:block;font-size:1.5em}
.cls-MATCH{color:#1a7f37}.cls-PROXY{color:#2f6fb0}.cls-APPROXIMATE{color:#9a6700}
.cls-OVER_INCLUSIVE,.cls-UNDER_INCLUSIVE{color:#b35900}.cls-UNDETERMINED{color:#8250df}
nav a{margin-right:12px}
details summary{cursor:pointer;color:#2f6fb0}
"""


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96, bbox_inches="tight", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(fig: Figure, caption: str) -> str:
    return (
        f"<figure><img alt='{html.escape(caption)}' src='data:image/png;base64,{_png(fig)}'>"
        f"<figcaption>{caption}</figcaption></figure>"
    )


def _table(frame: pd.DataFrame, *, digits: int = 3, max_rows: int | None = None) -> str:
    """An HTML table; numbers right-aligned, floats rounded, long tables folded."""
    if frame.empty:
        return "<p class='meta'><i>None.</i></p>"
    shown = frame if max_rows is None else frame.head(max_rows)
    numeric = [
        c
        for c in shown.columns
        if pd.api.types.is_numeric_dtype(shown[c])
        and not pd.api.types.is_bool_dtype(shown[c])
        and c not in ("year", "row", "time_period")
    ]
    head = "".join(
        f"<th class='{'num' if c in numeric else ''}'>{html.escape(str(c))}</th>"
        for c in shown.columns
    )
    body = []
    for row in shown.itertuples(index=False):  # report tables are small: display only
        cells = []
        for column, value in zip(shown.columns, row, strict=True):
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                text, cls = "", ""
            elif column in numeric:
                as_float = float(value)
                text = (
                    f"{as_float:,.0f}"
                    if as_float.is_integer() and abs(as_float) >= 1000
                    else f"{as_float:,.{digits}f}".rstrip("0").rstrip(".")
                    if not as_float.is_integer()
                    else f"{as_float:.0f}"
                )
                cls = "num"
            else:
                text = html.escape(str(value))
                cls = f"cls-{value}" if column == "compliance" else ""
            cells.append(f"<td class='{cls}'>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if max_rows is not None and len(frame) > max_rows:
        more = f"<p class='meta'>First {max_rows} of {len(frame):,} rows.</p>"
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


def _asymmetry_figure(flows: pd.DataFrame) -> Figure:
    """|CC1| of every corridor reported on both sides, before and after adjustment."""
    both = flows[flows["sides"].eq("both")].copy()
    before = (both["immigration"] - both["emigration"]).abs() / (
        (both["immigration"] + both["emigration"]) / 2
    )
    after = (both["adj_immigration"] - both["adj_emigration"]).abs() / (
        (both["adj_immigration"] + both["adj_emigration"]) / 2
    )
    fig = Figure(figsize=(9, 3.6))
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.3, 1]})
    years = sorted(both["year"].unique())
    data_before = [before[both["year"].eq(y)].to_numpy() for y in years]
    data_after = [after[both["year"].eq(y)].to_numpy() for y in years]
    pos = np.arange(len(years))
    ax1.boxplot(
        data_before,
        positions=pos - 0.18,
        widths=0.3,
        patch_artist=True,
        boxprops={"facecolor": "#f4a582"},
        medianprops={"color": "black"},
    )
    ax1.boxplot(
        data_after,
        positions=pos + 0.18,
        widths=0.3,
        patch_artist=True,
        boxprops={"facecolor": "#92c5de"},
        medianprops={"color": "black"},
    )
    ax1.set_xticks(pos, [str(y) for y in years])
    ax1.set_ylabel("|CC1| per corridor")
    ax1.set_title("Asymmetry by year: reported (orange) vs adjusted (blue)", fontsize=10)
    ax2.scatter(before, after, s=12, color="#2f6fb0", alpha=0.7)
    top = float(max(before.max(), after.max(), 0.1)) * 1.05
    ax2.plot([0, top], [0, top], color="grey", lw=0.8, ls="--")
    ax2.set_xlim(0, top)
    ax2.set_ylim(0, top)
    ax2.set_xlabel("|CC1| reported")
    ax2.set_ylabel("|CC1| after adjustment")
    ax2.set_title("Each corridor-year (below the line: improved)", fontsize=10)
    fig.tight_layout()
    return fig


def _grades(quality: Any) -> pd.DataFrame:
    """Country x module rows, one column per dimension holding "grade (score)"."""
    from migdata.quality.dimensions import dimension_table

    scores = quality.scores
    scores = scores[scores["module"].ne("ALL")]
    text = scores["grade"].fillna("-").astype(str) + scores["score"].map(
        lambda v: "" if pd.isna(v) else f" ({v:.2f})"
    )
    grid = (
        scores.assign(cell=text)
        .pivot_table(
            index=["country", "module"],
            columns="dimension",
            values="cell",
            aggfunc="first",
            sort=False,
        )
        .reset_index()
    )
    labels = dimension_table().set_index("key")["label_en"].to_dict()
    order = [d for d in labels if d in grid.columns]
    grid = grid[["country", "module", *order]].rename(columns=labels)
    grid.columns.name = None
    return grid.fillna("")


def _compliance_table(frame: pd.DataFrame) -> str:
    """Compliance of each source, with the reason on a full-width line below its row."""
    head = (
        "<tr><th>country</th><th>source</th><th>type</th><th>measure</th>"
        "<th class='num'>threshold (months)</th><th>basis</th><th>class</th><th>flags</th></tr>"
    )
    rows = []
    for r in frame.itertuples(index=False):  # one row per source and measure
        months = "" if pd.isna(r.threshold_months) else f"{r.threshold_months:g}"
        rows.append(
            f"<tr><td>{html.escape(r.country)}</td><td>{html.escape(r.source_id)}</td>"
            f"<td>{html.escape(r.source_type)}</td><td>{html.escape(r.measure)}</td>"
            f"<td class='num'>{months}</td><td>{html.escape(str(r.threshold_basis))}</td>"
            f"<td class='cls-{html.escape(r.compliance)}'><b>{html.escape(r.compliance)}</b>"
            f"</td><td>{html.escape(r.flags)}</td></tr>"
            f"<tr><td></td><td colspan='7' class='meta'>{html.escape(r.reason)}</td></tr>"
        )
    return f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


def render_report(result: Any) -> str:
    """The report of a demo run (:class:`migdata.demo.run.DemoResult`) as an HTML string.

    Examples
    --------
    >>> from migdata.demo.run import run_demo
    >>> page = render_report(run_demo("/tmp/x", progress=None))  # doctest: +SKIP
    """
    import migdata
    from migdata.demo.run import METHOD, TARGET
    from migdata.demo.synthetic import SYNTHETIC_NOTE, demo_spec

    spec = demo_spec()
    quality = result.quality
    rec = result.reconciliation
    diag = rec.diagnostics
    last_year = int(max(spec.years))
    intake = result.intake
    rows_in, rows_used, rows_rej = (
        int(intake[c].sum()) for c in ("rows_in", "rows_used", "rows_rejected")
    )
    parts: list[str] = []
    add = parts.append
    add(f"<h1>migdata report: COMESA migration statistics, {min(spec.years)}-{last_year}</h1>")
    add(
        "<p class='banner'><b>Synthetic data.</b> Every figure in this report was generated by "
        f"migdata's seeded demo generator (seed {spec.seed}) to show the method; none describes "
        "a real country. The definitions differ between the countries the way real ones do "
        "(3-, 6-, 12-month and permanent thresholds, intended and observed duration, permits, "
        "weak deregistration).</p>"
    )
    add(
        f"<p class='meta'>migdata {html.escape(migdata.__version__)} &middot; target definition "
        f"<b>{TARGET}</b> (UN 1998 Recommendations, long-term migrant: 12 months) &middot; "
        f"reconciliation method <b>{METHOD}</b> </p>"
    )
    add(
        "<nav><a href='#quality'>Quality</a><a href='#sources'>Sources</a>"
        "<a href='#harmonisation'>Harmonisation</a><a href='#crossings'>Border crossings</a>"
        "<a href='#mirror'>Mirror statistics</a><a href='#factors'>Factors</a>"
        "<a href='#rejected'>Rejected rows</a><a href='#files'>Files</a></nav>"
    )
    before = float(diag["mean_abs_cc1_before"].mean())
    after = float(diag["mean_abs_cc1_after"].mean())
    add(
        "<div class='cards'>"
        f"<div class='card'>Countries<b>{len(spec.codes)}</b>{', '.join(spec.codes)}</div>"
        f"<div class='card'>Sources described<b>{len(result.profiles)}</b>from "
        f"{len(spec.codes)} questionnaires (en, fr, ar)</div>"
        f"<div class='card'>Input rows<b>{rows_in:,}</b>{rows_used:,} used, {rows_rej:,} "
        "rejected with a reason</div>"
        f"<div class='card'>Mean |CC1|<b>{before:.3f} &rarr; {after:.3f}</b>reported vs "
        "reconciled, corridors with both sides</div></div>"
    )

    add("<h2 id='quality'>1. Quality profiles (ESS criteria)</h2>")
    add(
        "<p>Each questionnaire was read back and scored on the six ESS dimensions. Scores "
        "run from 0 to 1 (weighted mean level of the answered items, levels 0-3); grades A "
        "&ge; 0.75, B &ge; 0.50, C &ge; 0.25, D below, I = insufficient information. No "
        "weights are set between dimensions. Per-country pages with the answers behind every "
        "score: <code>quality/</code>.</p>"
    )
    add(
        _figure(
            migdata.heatmap(quality, module="ALL"),
            "Grade and score per country and dimension, all modules together.",
        )
    )
    add("<h3>Grade and score by module</h3>")
    add(_table(_grades(quality)))
    if quality.undercount is not None and not quality.undercount.empty:
        add("<h3>Register undercount (QuantMig sub-scores)</h3>")
        und = quality.undercount
        keep = [
            c
            for c in ("country", "source_id", "source_type", "u_I", "class_I", "u_E", "class_E")
            if c in und.columns
        ]
        add(_table(und[keep], digits=2))

    add(f"<h2 id='sources'>2. Sources and their compliance with {TARGET}</h2>")
    add(
        "<p>The source facts (threshold, basis, coverage, registration rules) come from the "
        "questionnaire answers; the compliance class says how far the source's definition is "
        "from the target, and why.</p>"
    )
    add(_compliance_table(result.compliance))

    add("<h2 id='harmonisation'>3. Harmonised national tables</h2>")
    add(
        "<p>Each national table was validated, its country names resolved (French, Arabic "
        "and English spellings), and flows counted under another duration threshold were "
        "multiplied by R(T)/R(12) (IMEM duration factors). Every input row is either used or "
        "rejected with its reason: rows in = rows used + rows rejected.</p>"
    )
    add(_table(intake))
    if result.resolution is not None:
        res = result.resolution
        add("<h3>Country names: a census table with messy spellings (Zambia, 2022)</h3>")
        add(
            "<p>Every country column passes through the resolver: ISO and Eurostat codes, "
            "names in English, French, Portuguese, Arabic and Swahili, historical names "
            "(flagged, never mapped to a successor). Ambiguous and unknown spellings are "
            "never guessed: they are listed with suggestions. "
            f"{html.escape(res.summary().splitlines()[0])}.</p>"
        )
        report = res.report
        add(_table(report[report["status"].ne("resolved")].reset_index(drop=True)))
    h = result.harmonised
    adj = (
        h[h["sex"].eq("_T")]
        .groupby(["ref_area", "measure", "source_id", "compliance"], as_index=False)
        .agg(
            reported=("reported_value", "sum"),
            harmonised=("obs_value", "sum"),
            factor=("adjustment", "mean"),
        )
    )
    add("<h3>Adjustment applied per source (all years, both sexes)</h3>")
    add(_table(adj))

    add("<h2 id='crossings'>4. Border crossings: the 12/16 outcome rule (Uganda)</h2>")
    add(
        "<p>Linked entry/exit records were classified person by person: a crossing is "
        "long-term when the traveller then spends at least 365 of the following 487 days in "
        "(arrival) or out of (departure) the country. Cells with crossings whose outcome is "
        "still unknown are flagged provisional (P).</p>"
    )
    add(_table(result.crossings.summary()))
    uga = h[h["ref_area"].eq("UGA") & h["sex"].eq("_T")]
    add(
        _table(
            uga.groupby(["measure", "time_period"], as_index=False).agg(
                long_term_flows=("obs_value", "sum"),
                provisional_cells=("obs_status", lambda s: int((s == "P").sum())),
            )
        )
    )

    add("<h2 id='mirror'>5. Mirror statistics: asymmetry before and after reconciliation</h2>")
    add(
        "<p>E<sub>ij</sub> is emigration from i to j reported by i, I<sub>ij</sub> immigration "
        "reported by j. CC1 = (I - E) / ((I + E) / 2); 0 means the two countries agree. "
        f"Factors were estimated each year by <b>{METHOD}</b> (log I - log E = log s_i - "
        "log r_j), with the immigration factor of the reference country fixed at 1. The "
        f"reference, <b>{html.escape(rec.reference)}</b>, is the country with the best "
        "accuracy score for immigration in the quality profile (one truth, three uses).</p>"
    )
    add(
        _figure(
            migdata.cc1_heatmap(result.mirror, last_year),
            f"Signed CC1 of the reported flows, {last_year}: red = the destination reports "
            "more immigrants than the origin reports emigrants (emigration undercount).",
        )
    )
    add(
        _figure(
            _asymmetry_figure(rec.flows),
            "Absolute CC1 of every corridor reported on both sides, before and after "
            "applying the estimated factors.",
        )
    )
    add(_table(diag))

    add("<h2 id='factors'>6. Adjustment factors with their intervals</h2>")
    add(
        _figure(
            migdata.factor_plot(rec, year=last_year),
            f"Factors of {last_year}: r_j scales a country's reported immigration, s_i its "
            "emigration; intervals from a bootstrap of the pairs.",
        )
    )
    f = rec.factors
    add(_table(f[f["year"].eq(last_year)].reset_index(drop=True)))
    add(
        _figure(
            migdata.flows_plot(rec, "KEN", side="emigration", year=last_year),
            f"Kenya {last_year}: its reported emigration, the partners' reported "
            "immigration from Kenya, and the reconciled flow.",
        )
    )

    add("<h2 id='rejected'>7. What was rejected, and why</h2>")
    rej = result.rejected
    add(
        "<p><code>row</code> is the position among the data rows, counted from 0 as in "
        "pandas (reasons such as 'duplicate of row 5' use it too); <code>line</code> is the "
        "line of the CSV file, where line 1 is the synthetic note and line 2 the header. "
        "Each national table "
        "of the demo carries an unknown country name, a negative count and a repeated row on "
        "purpose; the border records carry a row without person id, an unreadable direction "
        "and a duplicate.</p>"
    )
    add(_table(rej, max_rows=200))
    problems = quality.problems
    add("<h3>Questionnaire problems</h3>")
    add(
        _table(problems)
        if not problems.empty
        else "<p class='meta'>None: every answer was read.</p>"
    )

    add("<h2 id='files'>8. Files of this run</h2>")
    add(_table(result.exchange))
    add(
        "<p class='meta'>The bundle holds one SDMX-CSV 2.0 file, one Parquet file (zstd, "
        "with the structure id, code-list versions, migdata version and a content hash in its "
        "metadata) and one Excel copy per dataflow, each validated against the COMESA data "
        f"structure before it was written. {html.escape(SYNTHETIC_NOTE)}.</p>"
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>migdata report (synthetic demo)</title><style>{_CSS}</style></head><body><main>"
        + "\n".join(parts)
        + "</main></body></html>\n"
    )


def write_report(result: Any, path: str | Path) -> Path:
    """Write :func:`render_report` to ``path`` (UTF-8) and return the path."""
    out = Path(path)
    out.write_text(render_report(result), encoding="utf-8")
    return out
