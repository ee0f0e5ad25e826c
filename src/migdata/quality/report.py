"""Quality report pages: one self-contained HTML page per country, and an overview page.

A page holds the profile table, the heatmap as an embedded PNG, the register undercount
classes, the explanation of every score and the problems met while reading the answers.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import pandas as pd

from migdata._checks import public
from migdata._safe_io import atomic_write
from migdata.errors import ConfigurationError
from migdata.quality.dimensions import INSUFFICIENT, Dimension
from migdata.quality.figures import heatmap
from migdata.quality.profile import GRADE_COLOURS, QualityProfile
from migdata.quality.rubric import ALL_MODULES

__all__ = ["country_report", "overview_report", "write_reports"]

_STYLE = """
body{font-family:sans-serif;margin:24px;max-width:1150px;color:#1b1b1b}
h1{font-size:22px} h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ccc}
table.x{border-collapse:collapse;font-size:12px} table.x td,table.x th{padding:3px 6px;
border-bottom:1px solid #e5e5e5;text-align:left;vertical-align:top}
table.x th{background:#f2f2f2} td.n{text-align:right} p.note{font-size:12px;color:#444}
"""


_UNDER_NAMES = {
    "source_id": "source",
    "class_I": "immigration undercount",
    "class_E": "emigration undercount",
}


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _table(frame: pd.DataFrame, numeric: tuple[str, ...] = ()) -> str:
    if frame.empty:
        return "<p class='note'><i>None.</i></p>"
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):  # report tables are small: display only
        cells = []
        for column, value in zip(frame.columns, row, strict=True):
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                text = ""
            elif column in numeric:
                text = f"{float(value):.3f}"
            else:
                text = html.escape(str(value))
            cls = " class='n'" if column in numeric else ""
            cells.append(f"<td{cls}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table class='x'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _legend(profile: QualityProfile) -> str:
    chips = " ".join(
        f"<span style='background:{bg};color:{fg};padding:1px 6px'>{g}</span>"
        for g, (bg, fg) in GRADE_COLOURS.items()
    )
    return (
        f"<p class='note'>{chips} Scores run from 0 to 1: D_k = sum(w l level) / "
        "(3 sum(w l)) over the answered items loading on dimension k (levels 0-3, item "
        "weight w 1-3, loading l). Grades: A &ge; 0.75, B &ge; 0.50, C &ge; 0.25, D below; "
        f"I = {INSUFFICIENT} (under {profile.min_coverage:.0%} of the applicable weight "
        "answered). &ldquo;Not applicable&rdquo; answers are left out; &ldquo;don't "
        "know&rdquo; answers are left out of the score but lower the coverage (in brackets "
        "when below 100%) and AC3. No weights are set between the dimensions (ESS).</p>"
    )


def country_report(
    profile: QualityProfile,
    country: str,
    path: str | Path | None = None,
    *,
    language: str = "en",
) -> str:
    """A self-contained HTML quality report for one country.

    Parameters
    ----------
    profile
        Quality profile holding the country.
    country
        ISO alpha-3 code of the country.
    path
        When given, the page is also written there (UTF-8).
    language
        Language of the dimension labels.

    Returns
    -------
    str
        The HTML page (figure embedded as a base64 PNG: no other file needed).

    Raises
    ------
    ConfigurationError
        The country is not in the profile.

    Examples
    --------
    >>> from migdata.quality.rubric import apply_rubric
    >>> items = pd.DataFrame({"id": ["q1"], "weight": [2], "scored": [True]})
    >>> loadings = pd.DataFrame({"item_id": ["q1"], "dimension": ["accuracy"], "loading": [1.0]})
    >>> answers = pd.DataFrame({"country": "RWA", "module": "IMM", "item_id": ["q1"],
    ...                         "level": [2], "status": "answered"})
    >>> page = country_report(QualityProfile.from_rubric(apply_rubric(answers, items, loadings)),
    ...                       "RWA")
    >>> page.startswith("<!DOCTYPE html>"), "data:image/png;base64," in page
    (True, True)
    """
    if country not in profile.countries:
        raise ConfigurationError(
            f"country {country!r} is not in the profile; it has "
            f"{', '.join(profile.countries) or 'no country'}"
        )
    fig = heatmap(profile, country=country, language=language)
    cov = profile.coverage[profile.coverage["country"] == country]
    overall = cov[cov["module"] == ALL_MODULES]
    summary = ""
    if len(overall):
        r = overall.iloc[0]
        summary = (
            f"<p>{int(r['n_items'])} answers read: {int(r['n_answered'])} answered, "
            f"{int(r['n_dont_know'])} &ldquo;don't know&rdquo;, {int(r['n_missing'])} "
            f"missing, {int(r['n_not_applicable'])} not applicable. Information coverage "
            f"{r['information_coverage']:.0%}, AC3 (metadata completeness) {r['ac3']:.0%}.</p>"
        )
    exp = profile.explain(country=country)
    exp = exp[exp["module"] != ALL_MODULES]
    labels = {d.value: d.label(language) for d in Dimension}
    shown = pd.DataFrame(
        {
            "module": exp["module"],
            "dimension": exp["dimension"].map(labels),
            "item": exp["item_id"],
            "question": exp.get("question", ""),
            "source": exp["source_id"],
            "answer": exp["answer"],
            "level": exp["level"],
            "weight": exp["effective_weight"],
            "loading": exp["loading"],
            "contribution": exp["contribution"],
            "lost": exp["shortfall"],
            "note": exp["note"],
        }
    )
    unders = profile.undercount
    unders = unders[unders["country"] == country] if len(unders) else unders
    under_cols = [c for c in ("source_id", "u_I", "class_I", "u_E", "class_E") if c in unders]
    problems = profile.problems
    if len(problems) and "country" in problems:
        problems = problems[(problems["country"] == country) | problems["country"].isna()]
    problem_cols = [
        c for c in ("file", "sheet", "cell", "item_id", "value", "message") if c in problems
    ]
    composite = profile.composite()
    composite = composite[composite["country"] == country][
        ["module", "composite_equal", "grade_equal"]
    ]
    page = f"""<!DOCTYPE html>
<html lang="{html.escape(language)}"><head><meta charset="utf-8">
<title>Quality of migration statistics: {html.escape(country)}</title>
<style>{_STYLE}</style></head><body>
<h1>Quality of migration statistics: {html.escape(country)}</h1>
<p>Profile against the European Statistical System quality criteria (Regulation 223/2009,
Art. 12), scored from the answers to the migration metadata questionnaire.</p>
{summary}
<h2>Profile by module and dimension</h2>
{profile.table_html(country, language)}
{_legend(profile)}
<img alt="grades of {html.escape(country)} by module and dimension" style="max-width:100%"
 src="data:image/png;base64,{_png(fig)}">
<h2>Register undercount (QuantMig sub-scores)</h2>
<p class='note'>u<sub>I</sub> = [no registration obligation] + 0.5 [no time limit] + 0.5
[no sanctions], capped at 1; u<sub>E</sub> = 1 &minus; weighted share of the known
deregistration rules that are in place (weights 0.5, 0.1, 0.1, 0.3). Classes: low &lt; 0.25
&le; medium &lt; 0.75 &le; high.</p>
{_table(unders[under_cols].rename(columns=_UNDER_NAMES), numeric=("u_I", "u_E"))}
<h2>Composite index (equal weights; for ranking only)</h2>
<p class='note'>The profile above is the assessment; this mean of the graded dimensions is
shown only with equal weights.</p>
{_table(composite, numeric=("composite_equal",))}
<h2>Which answers produced each score</h2>
<p class='note'>Contribution: the answer's part of the dimension score (the contributions
of a dimension add up to its score). Lost: what the answer kept from the maximum; the
largest losses come first within each dimension.</p>
{_table(shown, numeric=("weight", "loading", "contribution", "lost"))}
<h2>Problems met while reading the answers</h2>
{_table(problems[problem_cols] if len(problems) else problems)}
</body></html>
"""
    if path is not None:
        Path(path).write_text(page, encoding="utf-8")
    return page


def overview_report(
    profile: QualityProfile, path: str | Path | None = None, *, language: str = "en"
) -> str:
    """A self-contained HTML page comparing every country of the profile.

    Parameters
    ----------
    profile
        Quality profile of one or more countries.
    path
        When given, the page is also written there.
    language
        Language of the dimension labels.

    Returns
    -------
    str
        The HTML page with the comparison table, the heatmaps and the file status.

    Examples
    --------
    >>> from migdata.quality.rubric import apply_rubric
    >>> items = pd.DataFrame({"id": ["q1"], "weight": [2], "scored": [True]})
    >>> loadings = pd.DataFrame({"item_id": ["q1"], "dimension": ["accuracy"], "loading": [1.0]})
    >>> answers = pd.DataFrame({"country": ["RWA", "KEN"], "module": "IMM", "item_id": "q1",
    ...                         "level": [2, 1], "status": "answered"})
    >>> "KEN" in overview_report(QualityProfile.from_rubric(apply_rubric(answers, items, loadings)))
    True
    """
    fig = heatmap(profile, language=language) if profile.countries else None
    image = (
        f"<img alt='grades by country and module' style='max-width:100%' "
        f"src='data:image/png;base64,{_png(fig)}'>"
        if fig is not None
        else ""
    )
    files = profile.files
    page = f"""<!DOCTYPE html>
<html lang="{html.escape(language)}"><head><meta charset="utf-8">
<title>Quality of migration statistics: comparison</title><style>{_STYLE}</style></head><body>
<h1>Quality of migration statistics: {len(profile.countries)} countries</h1>
{profile.table_html(None, language)}
{_legend(profile)}
{image}
<h2>Files</h2>
{_table(files)}
</body></html>
"""
    if path is not None:
        Path(path).write_text(page, encoding="utf-8")
    return page


@public
def write_reports(
    profile: QualityProfile, folder: str | Path, *, language: str = "en"
) -> list[Path]:
    """Write the overview page, one page per country and the tables as CSV into a folder.

    Parameters
    ----------
    profile
        Quality profile.
    folder
        Output folder (created when missing).
    language
        Language of the dimension labels.

    Returns
    -------
    list of Path
        The files written, in a fixed order.

    Examples
    --------
    >>> import tempfile
    >>> from migdata.quality.rubric import apply_rubric
    >>> items = pd.DataFrame({"id": ["q1"], "weight": [2], "scored": [True]})
    >>> loadings = pd.DataFrame({"item_id": ["q1"], "dimension": ["accuracy"], "loading": [1.0]})
    >>> answers = pd.DataFrame({"country": "RWA", "module": "IMM", "item_id": ["q1"],
    ...                         "level": [2], "status": "answered"})
    >>> p = QualityProfile.from_rubric(apply_rubric(answers, items, loadings))
    >>> [f.name for f in write_reports(p, tempfile.mkdtemp())][:3]
    ['scores.csv', 'comparison.csv', 'explanation.csv']
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    tables = {
        "scores.csv": profile.scores,
        "comparison.csv": profile.to_frame(),
        "explanation.csv": profile.explanation,
        "coverage.csv": profile.coverage,
        "undercount.csv": profile.undercount,
        "problems.csv": profile.problems,
        "files.csv": profile.files,
    }
    for name, frame in tables.items():
        target = out / name
        atomic_write(target, frame.to_csv(index=False, lineterminator="\n"))
        written.append(target)
    if profile.countries:
        fig = heatmap(profile, language=language)
        target = out / "heatmap.png"
        fig.savefig(target, dpi=110, metadata={"Software": None})
        written.append(target)
    target = out / "index.html"
    overview_report(profile, target, language=language)
    written.append(target)
    for country in profile.countries:
        target = out / f"quality_{country}.html"
        country_report(profile, country, target, language=language)
        written.append(target)
    return written
