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
.scroll{max-width:100%;overflow-x:auto}
th{overflow-wrap:normal;word-break:normal}
dl.glossary dt{font-weight:600;margin-top:6px}dl.glossary dd{margin:0 0 4px 18px}
@media (max-width:900px){main{padding:12px 14px 40px}table{font-size:0.8em}
th,td{padding:3px 5px}.card{flex:1 1 140px}}
@page{size:A4;margin:15mm 12mm}
@media print{body{background:#fff;font-size:10pt}main{max-width:none;padding:0}
nav{display:none}.scroll{overflow:visible}table{font-size:8pt;page-break-inside:auto}
tr,figure,.card{page-break-inside:avoid}h2,h3{page-break-after:avoid}
figure img{max-width:100%;border:0}a{color:inherit;text-decoration:none}}
"""

# Column headings and codes shown to people (a table keeps any other name, "_" as spaces).
_COLUMN_LABELS = {
    "ref_area": "reporting country",
    "counterpart_area": "partner country",
    "source_id": "source",
    "source_type": "type of source",
    "rows_in": "rows in",
    "rows_used": "rows used",
    "rows_rejected": "rows rejected",
    "obs_value": "harmonised value",
    "reported_value": "reported value",
    "u_I": "undercount score, immigration",
    "class_I": "undercount class, immigration",
    "u_E": "undercount score, emigration",
    "class_E": "undercount class, emigration",
    "not_persons": "counts documents, not persons",
    "threshold_months": "threshold (months)",
    "mean_abs_cc1_before": "mean |CC1| reported",
    "mean_abs_cc1_after": "mean |CC1| reconciled",
}
_VALUE_LABELS = {"_T": "total", "_Z": "not applicable", "_U": "unknown"}

# Codes and acronyms of the report, spelled out in its glossary.
_ABBREVIATIONS = {
    "STK": "stock of migrants (resident population by citizenship or country of birth)",
    "IMM": "immigration flows",
    "EMI": "emigration flows",
    "NAB": "nationals abroad",
    "RP": "residence permits",
    "CC1": "coherence indicator CC1: the gap between what two countries report for the "
    "same flow, |immigration - emigration| divided by the mean of both",
    "AC3": "ESS quality indicator AC3, metadata completeness",
    "ESS": "European Statistical System, whose quality criteria score the questionnaires",
    "IMEM": "Integrated Modelling of European Migration, the source of the duration factors R(T)",
    "QuantMig": "Quantifying Migration Scenarios for Better Policy (EU research project), "
    "whose register undercount scores are shown",
    "SDMX": "Statistical Data and Metadata eXchange, the standard of the exchange files",
}


def _label(column: Any) -> str:
    """The heading of a column: its label, else its name with spaces."""
    name = str(column)
    return _COLUMN_LABELS.get(name, name.replace("_", " ").strip())


def _glossary_section() -> str:
    """Codes and acronyms, then the harmonised terms, in one section at the end."""
    from migdata.metadata import glossary

    items = [
        f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in _ABBREVIATIONS.items()
    ]
    table = glossary("en").table
    items += [
        f"<dt>{html.escape(str(t))}</dt><dd>{html.escape(str(d))}</dd>"
        for t, d in zip(table["term"], table["definition"], strict=True)
    ]
    return (
        "<h2 id='glossary'>Glossary</h2><p>Codes and acronyms of this report, then the "
        "harmonised migration terms (UN recommendations).</p>"
        f"<dl class='glossary'>{''.join(items)}</dl>"
    )


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
        f"<th class='{'num' if c in numeric else ''}'>{html.escape(_label(c))}</th>"
        for c in shown.columns
    )
    # One number of decimals per column: none for whole numbers, else up to `digits`,
    # the fewest that show every value of the column.
    decimals: dict[Any, int] = {}
    for c in numeric:
        values = pd.to_numeric(shown[c], errors="coerce").dropna().astype(float)
        decimals[c] = next(
            (d for d in range(digits + 1) if np.allclose(values, values.round(d), atol=0)),
            digits,
        )
    body = []
    for row in shown.itertuples(index=False):  # report tables are small: display only
        cells = []
        for column, value in zip(shown.columns, row, strict=True):
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                text, cls = "", ""
            elif column in numeric:
                text = f"{float(value):,.{decimals[column]}f}"
                cls = "num"
            elif isinstance(value, bool | np.bool_):
                text, cls = ("yes" if value else "no"), ""
            else:
                text = html.escape(_VALUE_LABELS.get(str(value), str(value)))
                cls = f"cls-{value}" if column == "compliance" else ""
            cells.append(f"<td class='{cls}'>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if max_rows is not None and len(frame) > max_rows:
        more = f"<p class='meta'>First {max_rows} of {len(frame):,} rows.</p>"
    return (
        f"<div class='scroll'><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>{more}"
    )


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
    return (
        f"<div class='scroll'><table><thead>{head}</thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _steps_table(result: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The steps with the per-file ones (``check:...``, ``questionnaire:...``) summed by
    kind, and the per-file steps themselves."""
    frame = result.steps_frame().drop(columns=["seconds", "status"])
    kind = frame["step"].str.extract(r"^(check|questionnaire):", expand=False)
    per_file = frame[kind.notna()].reset_index(drop=True)
    summed = (
        frame[kind.notna()]
        .assign(step=kind[kind.notna()])
        .groupby("step", sort=False, as_index=False)
        .agg(
            files=("rows_in", "size"),
            rows_in=("rows_in", "sum"),
            rows_used=("rows_used", "sum"),
            rows_rejected=("rows_rejected", "sum"),
        )
    )
    summed["step"] = summed["step"] + " (" + summed.pop("files").astype(str) + " files)"
    return pd.concat([summed, frame[kind.isna()]], ignore_index=True), per_file


def _office_sections(result: Any, add: Any, target: str) -> None:
    data = result.data
    add(f"<h2 id='sources'>Sources and their compliance with {html.escape(target)}</h2>")
    add(
        "<p>The source facts (threshold, basis, coverage, registration rules) come from the "
        "questionnaire answers or the configuration; the compliance class says how far the "
        "source's definition is from the target, and why.</p>"
    )
    if len(data["compliance"]):
        add(_compliance_table(data["compliance"]))
    else:
        add("<p class='meta'><i>No source described.</i></p>")
    add("<h2 id='harmonisation'>Harmonised national tables</h2>")
    add(
        "<p>Each national table was validated, its country names resolved, and flows "
        "counted under another duration threshold were multiplied by R(T)/R(12) (IMEM "
        "duration factors). Every input row is either used or rejected with its reason: "
        "rows in = rows used + rows rejected.</p>"
    )
    add(_table(data["intake"]))
    h = data["harmonised"]
    if len(h):
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
    crossings = data.get("crossings")
    if crossings is not None:
        add("<h2 id='crossings'>Border crossings: the 12/16 outcome rule</h2>")
        add(
            "<p>Linked entry/exit records were classified person by person: a crossing is "
            "long-term when the traveller then spends at least 365 of the following 487 days "
            "in (arrival) or out of (departure) the country. Cells with crossings whose "
            "outcome is still unknown are flagged provisional (P).</p>"
        )
        add(_table(crossings.summary()))
        micro = h[h["provenance"].astype(str).str.contains("12/16") & h["sex"].eq("_T")]
        if len(micro):
            add(
                _table(
                    micro.groupby(["measure", "time_period"], as_index=False).agg(
                        long_term_flows=("obs_value", "sum"),
                        provisional_cells=("obs_status", lambda s: int((s == "P").sum())),
                    )
                )
            )
    add("<h2 id='rejected'>What was rejected, and why</h2>")
    add(
        "<p><code>row</code> is the position among the data rows, counted from 0 as in "
        "pandas (reasons such as 'duplicate of row 5' use it too); <code>line</code> is the "
        "line of the file (comment lines and the header counted).</p>"
    )
    add(_table(data["rejected"], max_rows=200))


def _secretariat_sections(result: Any, add: Any, figures: bool) -> None:
    import migdata

    data = result.data
    sub = data["submissions"]
    bundle = data["bundle"]
    add("<h2 id='submissions'>Submissions</h2>")
    add(
        "<p>Every file in the submissions folder was checked: exchange files against the "
        "COMESA data structures, questionnaire workbooks by the questionnaire reader. An "
        "exchange file with a problem is <b>not merged</b>; its member finds the problems row "
        "by row in <code>feedback/&lt;ISO3&gt;.csv</code>, in the language of its "
        "questionnaire.</p>"
    )
    add(_table(sub))
    add("<h3>Merged regional bundle</h3>")
    add(
        f"<p>{len(bundle.table):,} observations; {len(bundle.conflicts):,} conflicting "
        f"row(s), {len(bundle.revisions):,} revision(s), {len(bundle.rejected):,} rejected "
        "row(s).</p>"
    )
    if bundle.notes:
        add("<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in bundle.notes) + "</ul>")
    matrix = bundle.coverage_matrix()
    if len(matrix):
        cov = matrix.astype(int)
        cov.columns = [f"{a} {b}" for a, b in cov.columns]
        add(_table(cov.reset_index()))
    rec = data["reconciliation"]
    mirror = data["mirror"]
    diag = rec.diagnostics
    years = sorted(int(y) for y in rec.factors["year"].unique()) if len(rec.factors) else []
    last = years[-1] if years else None
    add("<h2 id='mirror'>Mirror statistics: asymmetry before and after reconciliation</h2>")
    add(
        "<p>E<sub>ij</sub> is emigration from i to j reported by i, I<sub>ij</sub> "
        "immigration reported by j. CC1 = (I - E) / ((I + E) / 2); 0 means the two countries "
        f"agree. Factors were estimated each year by <b>{html.escape(str(rec.method))}</b>, "
        "with the immigration factor of the reference country fixed at 1 (this sets the "
        "scale, not the reference's figures). The reference is "
        f"<b>{html.escape(rec.reference)}</b>. A harmonised flow is the mean of the two "
        "adjusted sides where both countries report it, so a flow into the reference country "
        "can differ from what it reported.</p>"
    )
    if figures and last is not None:
        add(
            _figure(
                migdata.cc1_heatmap(mirror, last),
                f"Signed CC1 of the reported flows, {last}.",
            )
        )
        both = rec.flows[rec.flows["sides"].eq("both")] if "sides" in rec.flows else None
        if both is not None and len(both):
            add(
                _figure(
                    _asymmetry_figure(rec.flows),
                    "Absolute CC1 of every corridor reported on both sides, before and after "
                    "applying the estimated factors.",
                )
            )
    method_name = str(getattr(rec.method, "value", rec.method))
    if {"converged", "iterations"} <= set(diag.columns) and method_name in (
        "log-ls",
        "ls",
        "prefer-immigration",
    ):
        # Closed-form methods have nothing to converge: say so rather than "yes / 0".
        diag = diag.assign(converged="closed form", iterations="-")
    add(_table(diag))
    add("<h2 id='factors'>Adjustment factors</h2>")
    if figures and last is not None:
        add(
            _figure(
                migdata.factor_plot(rec, year=last),
                f"Factors of {last}: r_j scales a country's reported immigration, s_i its "
                "emigration.",
            )
        )
    f = rec.factors
    add(_table(f[f["year"].eq(last)].reset_index(drop=True) if last is not None else f))
    add("<h2 id='rejected'>Problems in the submissions</h2>")
    add(_table(result.problems, max_rows=200))


def render_report(result: Any) -> str:
    """The report of a run (:class:`migdata.RunResult`) as an HTML string.

    Sections follow what the run produced: quality profiles when workbooks were read,
    sources, harmonisation and border crossings for an office, submissions, mirror
    statistics and factors for a secretariat, then the steps with their row counts and the
    files written. Nothing depends on the data being the demo's.

    Examples
    --------
    >>> import migdata
    >>> result = migdata.Project.load("my-project").run()  # doctest: +SKIP
    >>> page = render_report(result)  # doctest: +SKIP
    """
    import migdata

    conf = result.data.get("config") or {}
    project = conf.get("project", {})
    outputs = conf.get("outputs", {})
    figures = bool(outputs.get("figures", True))
    target = project.get("target", "UN1998")
    data = result.data
    quality = data.get("quality")
    role = result.role
    title = project.get("name") or (
        f"migdata report: {project.get('country', '')} (national office)"
        if role == "office"
        else "migdata report: regional secretariat"
    )
    parts: list[str] = []
    add = parts.append
    add(f"<h1>{html.escape(title)}</h1>")
    add(
        f"<p class='meta'>migdata {html.escape(migdata.__version__)} &middot; {role} project "
        f"&middot; target definition <b>{html.escape(target)}</b></p>"
    )
    nav = ["<a href='#steps'>Steps</a>"]
    if quality is not None:
        nav.append("<a href='#quality'>Quality</a>")
    if role == "office":
        nav += ["<a href='#sources'>Sources</a>", "<a href='#harmonisation'>Harmonisation</a>"]
        if data.get("crossings") is not None:
            nav.append("<a href='#crossings'>Border crossings</a>")
    else:
        nav += [
            "<a href='#submissions'>Submissions</a>",
            "<a href='#mirror'>Mirror</a>",
            "<a href='#factors'>Factors</a>",
        ]
    nav += [
        "<a href='#rejected'>Rejected</a>",
        "<a href='#files'>Files</a>",
        "<a href='#glossary'>Glossary</a>",
    ]
    add("<nav>" + "".join(nav) + "</nav>")
    add(
        "<p class='meta'>Measures: STK stock of migrants, IMM immigration, EMI emigration, "
        "NAB nationals abroad, RP residence permits. Every code and acronym (CC1, AC3, ESS, "
        "IMEM, QuantMig, SDMX) is spelled out in the <a href='#glossary'>glossary</a> at "
        "the end.</p>"
    )
    rows_in = sum(
        s.rows_in for s in result.steps if not s.name.startswith(("check:", "questionnaire:"))
    )
    cards = [f"<div class='card'>Steps<b>{len(result.steps)}</b>in this run</div>"]
    if role == "office":
        intake = data["intake"]
        used, rej = int(intake["rows_used"].sum()), int(intake["rows_rejected"].sum())
        cards.append(
            f"<div class='card'>Input rows<b>{used + rej:,}</b>{used:,} used, {rej:,} rejected "
            "with a reason</div>"
        )
        cards.append(f"<div class='card'>Sources described<b>{len(data['profiles'])}</b></div>")
    else:
        sub = data["submissions"]
        merged = int(sub["status"].eq("merged").sum())
        failed = int(sub["status"].str.startswith("not merged").sum())
        cards.append(
            f"<div class='card'>Submissions<b>{len(sub)}</b>{merged} merged, "
            f"{failed} not merged</div>"
        )
        diag = data["reconciliation"].diagnostics
        if len(diag):
            before = float(diag["mean_abs_cc1_before"].mean())
            after = float(diag["mean_abs_cc1_after"].mean())
            cards.append(
                f"<div class='card'>Mean |CC1|<b>{before:.3f} &rarr; {after:.3f}</b>reported "
                "vs reconciled</div>"
            )
    del rows_in
    add("<div class='cards'>" + "".join(cards) + "</div>")
    add("<h2 id='steps'>Steps of the run</h2>")
    add(
        "<p>Rows in = rows used + rows rejected at every step. Timings and which steps were "
        "reused from the previous run are in <code>run-log.json</code> (kept out of this page "
        "so that the same inputs give the same page); parameters and input hashes in "
        "<code>manifest.json</code>.</p>"
    )
    steps, per_file = _steps_table(result)
    add(_table(steps))
    if len(per_file):
        add("<details><summary>Each file</summary>" + _table(per_file) + "</details>")
    if quality is not None:
        add("<h2 id='quality'>Quality profiles (ESS criteria)</h2>")
        add(
            "<p>Each questionnaire was read back and scored on the six ESS dimensions. Scores "
            "run from 0 to 1; grades A &ge; 0.75, B &ge; 0.50, C &ge; 0.25, D below, I = "
            "insufficient information. Per-country pages: <code>quality/</code>.</p>"
        )
        if figures:
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
        if len(quality.problems):
            add("<h3>Questionnaire problems</h3>")
            add(_table(quality.problems))
    if role == "office":
        _office_sections(result, add, target)
    else:
        _secretariat_sections(result, add, figures)
    add("<h2 id='files'>Files of this run</h2>")
    add(_table(data.get("files", pd.DataFrame())))
    add(
        "<p class='meta'>Exchange files are validated against the COMESA data structure "
        "before they are written. <code>manifest.json</code> lists every input with its size "
        "and SHA-256, the configuration and each step's parameters and row counts.</p>"
    )
    add(_glossary_section())
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body><main>"
        + "\n".join(parts)
        + "</main></body></html>\n"
    )


def write_report(result: Any, path: str | Path) -> Path:
    """Write :func:`render_report` to ``path`` (UTF-8) and return the path."""
    out = Path(path)
    out.write_text(render_report(result), encoding="utf-8")
    return out
