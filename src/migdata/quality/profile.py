"""The quality profile: scores per country x module x ESS dimension, with their evidence.

``QualityProfile`` holds what :func:`migdata.quality.score` produces: scores and grades,
coverage and AC3, the QuantMig undercount classes, the explanation table and problems.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from migdata.errors import ConfigurationError
from migdata.quality.dimensions import INSUFFICIENT, Dimension
from migdata.quality.rubric import ALL_MODULES, MODULE_ORDER, grade_scores

__all__ = ["GRADE_COLOURS", "QualityProfile"]

GRADE_COLOURS = {
    "A": ("#1a9850", "#ffffff"),
    "B": ("#a6d96a", "#1b1b1b"),
    "C": ("#fdae61", "#1b1b1b"),
    "D": ("#d73027", "#ffffff"),
    "I": ("#d9d9d9", "#1b1b1b"),
}
"""Background and text colour of each grade (ColorBrewer RdYlGn, grey for insufficient)."""

MODULE_NAMES = {
    "STK": "resident population (stock)",
    "IMM": "immigration",
    "EMI": "emigration",
    "NAB": "nationals abroad",
    "RP": "residence permits",
    ALL_MODULES: "all modules",
}


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


@dataclass
class QualityProfile:
    """Quality of a country's (or several countries') migration statistics, per ESS dimension.

    The primary output is the profile (module x dimension); the ESS sets no weights between
    dimensions, so a composite index is only offered through :meth:`composite`, which shows
    its weights and the equal-weights variant.

    Attributes
    ----------
    scores
        Long table: country, module, dimension, score, grade, grade_label, coverage, weights
        and counts (see :class:`migdata.quality.rubric.RubricResult`).
    coverage
        Per country x module: counts by answer status, information coverage and AC3.
    explanation
        Which answers produced each score (item, source, answer, level, weight, loading,
        contribution).
    undercount
        QuantMig register sub-scores per source: u_I, u_E and their classes.
    problems
        Problems met while reading or scoring (file, sheet, cell, item_id, value, message).
    files
        Per input file: country, status (``scored``, ``failed``, ``skipped``), counts.
    min_coverage
        Share of applicable weight needed for a grade.

    Examples
    --------
    >>> import pandas as pd
    >>> from migdata.quality.rubric import apply_rubric
    >>> items = pd.DataFrame({"id": ["q1"], "weight": [2], "scored": [True]})
    >>> loadings = pd.DataFrame({"item_id": ["q1"], "dimension": ["accuracy"], "loading": [1.0]})
    >>> answers = pd.DataFrame({"country": "RWA", "module": "IMM", "item_id": ["q1"],
    ...                         "level": [2], "status": "answered"})
    >>> p = QualityProfile.from_rubric(apply_rubric(answers, items, loadings))
    >>> p.grade("RWA", "IMM", "accuracy")
    'B'
    """

    scores: pd.DataFrame
    coverage: pd.DataFrame
    explanation: pd.DataFrame
    undercount: pd.DataFrame = field(default_factory=lambda: _empty(["country", "source_id"]))
    problems: pd.DataFrame = field(
        default_factory=lambda: _empty(["file", "sheet", "cell", "item_id", "value", "message"])
    )
    files: pd.DataFrame = field(default_factory=lambda: _empty(["file", "country", "status"]))
    min_coverage: float = 0.5

    @classmethod
    def from_rubric(cls, result: Any, **extra: Any) -> QualityProfile:
        """Build a profile from a :class:`~migdata.quality.rubric.RubricResult`.

        Rows the rubric rejected become problems (message = the reason).
        """
        problems = extra.pop("problems", None)
        rejected = result.rejected
        if len(rejected):
            rej = pd.DataFrame(
                {
                    "file": rejected.get("file", pd.NA),
                    "sheet": rejected.get("sheet", pd.NA),
                    "cell": rejected.get("cell", pd.NA),
                    "item_id": rejected.get("item_id", pd.NA),
                    "value": rejected.get("value", pd.NA),
                    "message": "not scored: " + rejected["reason"].astype(str),
                }
            )
            problems = rej if problems is None else pd.concat([problems, rej], ignore_index=True)
        if problems is not None:
            extra["problems"] = problems.reset_index(drop=True)
        return cls(
            scores=result.scores,
            coverage=result.coverage,
            explanation=result.explanation,
            **extra,
        )

    # ---- lookups ---------------------------------------------------------------------

    @property
    def countries(self) -> list[str]:
        """Countries in the profile, sorted."""
        return sorted(self.scores["country"].dropna().unique().tolist())

    @property
    def modules(self) -> list[str]:
        """Modules in the profile, in questionnaire order (``ALL`` last)."""
        present = set(self.scores["module"].dropna())
        order = [*MODULE_ORDER, ALL_MODULES]
        return [m for m in order if m in present] + sorted(present - set(order))

    def _row(self, country: str, module: str, dimension: str | Dimension) -> pd.Series:
        dim = Dimension.parse(dimension).value
        s = self.scores
        hit = s[(s["country"] == country) & (s["module"] == module) & (s["dimension"] == dim)]
        if hit.empty:
            raise ConfigurationError(
                f"no score for country {country!r}, module {module!r}, dimension {dim!r}; "
                f"countries: {', '.join(self.countries)}; modules: {', '.join(self.modules)}"
            )
        return hit.iloc[0]

    def score(self, country: str, module: str, dimension: str | Dimension) -> float:
        """The score of one country, module and dimension (NaN when nothing was answered)."""
        return float(self._row(country, module, dimension)["score"])

    def grade(self, country: str, module: str, dimension: str | Dimension) -> str | None:
        """The grade (A-D, ``I`` insufficient information, None when nothing applies)."""
        value = self._row(country, module, dimension)["grade"]
        return None if pd.isna(value) else str(value)

    def explain(
        self,
        country: str | None = None,
        module: str | None = None,
        dimension: str | Dimension | None = None,
    ) -> pd.DataFrame:
        """The explanation rows behind the scores, optionally for one country/module/dimension.

        Sorted by contribution lost (``shortfall``, largest first) so the answers that cost
        the most come first.
        """
        e = self.explanation
        if country is not None:
            e = e[e["country"] == country]
        if module is not None:
            e = e[e["module"] == module]
        if dimension is not None:
            e = e[e["dimension"] == Dimension.parse(dimension).value]
        # Modules in questionnaire order and dimensions in the Regulation's order.
        ranks = e.assign(
            _m=e["module"].map({m: i for i, m in enumerate(self.modules)}),
            _d=e["dimension"].map({d.value: d.order for d in Dimension}),
        )
        ranks = ranks.sort_values(
            ["country", "_m", "_d", "shortfall"],
            ascending=[True, True, True, False],
            kind="stable",
            na_position="last",
        )
        return ranks.drop(columns=["_m", "_d"]).reset_index(drop=True)

    # ---- tables ----------------------------------------------------------------------

    def to_frame(self, kind: str = "wide") -> pd.DataFrame:
        """The profile as a table.

        Parameters
        ----------
        kind
            ``"wide"`` (default): one row per country x module with one score column and
            one grade column per dimension, then information coverage and AC3 (the
            comparison table across countries). ``"long"``: one row per country x module x
            dimension.

        Returns
        -------
        DataFrame

        Examples
        --------
        >>> p = QualityProfile(scores=pd.DataFrame(), coverage=pd.DataFrame(),
        ...                    explanation=pd.DataFrame())
        >>> p.to_frame().empty
        True
        """
        if kind == "long":
            return self.scores.copy()
        if kind != "wide":
            raise ConfigurationError(f"unknown kind {kind!r}; expected 'wide' or 'long'")
        if self.scores.empty:
            return pd.DataFrame()
        dims = [d.value for d in Dimension]
        wide = self.scores.pivot(
            index=["country", "module"], columns="dimension", values=["score", "grade"]
        )
        out = pd.DataFrame(index=wide.index)
        for d in dims:
            out[d] = wide[("score", d)].astype(float) if ("score", d) in wide else np.nan
            out[f"{d}_grade"] = (
                wide[("grade", d)].astype("string")
                if ("grade", d) in wide
                else pd.Series(pd.NA, index=wide.index, dtype="string")
            )
        out = out.reset_index()
        cov = self.coverage[["country", "module", "information_coverage", "ac3"]]
        out = out.merge(cov, on=["country", "module"], how="left")
        order = {m: i for i, m in enumerate(self.modules)}
        out = out.assign(_m=out["module"].map(order)).sort_values(["country", "_m"], kind="stable")
        return out.drop(columns="_m").reset_index(drop=True)

    def composite(self, weights: dict[str, float] | None = None) -> pd.DataFrame:
        """A composite index per country x module, with its weights and the equal-weights one.

        The composite is the weighted mean of the dimension scores that have a grade
        (dimensions with insufficient information or nothing applicable are left out and
        the weights of the others renormalised; ``dimensions_used`` says which).

        Parameters
        ----------
        weights
            Dimension (key, short code or label) -> weight >= 0; dimensions not named get
            0. None gives equal weights.

        Returns
        -------
        DataFrame
            country, module, ``composite``, ``grade``, ``composite_equal``,
            ``grade_equal``, ``dimensions_used`` and ``weights`` (the weights in words).
            ``attrs["weights"]`` holds the weights as a dict.

        Examples
        --------
        >>> import pandas as pd
        >>> scores = pd.DataFrame({"country": "RWA", "module": "IMM",
        ...     "dimension": ["relevance", "accuracy"], "score": [1.0, 0.5],
        ...     "grade": ["A", "B"]})
        >>> p = QualityProfile(scores=scores, coverage=pd.DataFrame(), explanation=pd.DataFrame())
        >>> p.composite({"accuracy": 3, "relevance": 1})[["composite", "composite_equal"]]
           composite  composite_equal
        0      0.625             0.75
        """
        dims = [d.value for d in Dimension]
        if weights is None:
            w = dict.fromkeys(dims, 1.0)
        else:
            w = dict.fromkeys(dims, 0.0)
            for key, value in weights.items():
                if float(value) < 0:
                    raise ConfigurationError(f"weight of {key!r} must be 0 or more, got {value}")
                w[Dimension.parse(key).value] = float(value)
            if sum(w.values()) <= 0:
                raise ConfigurationError("at least one dimension needs a positive weight")
        s = self.scores.copy()
        graded = s["grade"].isin(["A", "B", "C", "D"]) & s["score"].notna()
        s["w"] = s["dimension"].map(w).astype(float).where(graded, 0.0)
        s["w_eq"] = graded.astype(float)
        s["ws"] = s["w"] * s["score"].fillna(0.0)
        s["ws_eq"] = s["w_eq"] * s["score"].fillna(0.0)
        s["used"] = s["dimension"].map({d.value: d.short for d in Dimension}).where(s["w"] > 0)
        g = s.groupby(["country", "module"], sort=False)
        out = g.agg(ws=("ws", "sum"), w=("w", "sum"), ws_eq=("ws_eq", "sum"), w_eq=("w_eq", "sum"))
        out["dimensions_used"] = g["used"].agg(lambda x: " ".join(x.dropna()))
        out = out.reset_index()
        with np.errstate(divide="ignore", invalid="ignore"):
            out["composite"] = np.where(out["w"] > 0, out["ws"] / out["w"], np.nan)
            out["composite_equal"] = np.where(out["w_eq"] > 0, out["ws_eq"] / out["w_eq"], np.nan)
        # The composite is graded with the same cuts; a composite over nothing is NA.
        ones = np.where(out["w"] > 0, 1.0, np.nan)
        out["grade"] = grade_scores(out["composite"], ones, 0.5).to_numpy()
        ones_eq = np.where(out["w_eq"] > 0, 1.0, np.nan)
        out["grade_equal"] = grade_scores(out["composite_equal"], ones_eq, 0.5).to_numpy()
        out["weights"] = ", ".join(f"{Dimension(d).short} {w[d]:g}" for d in dims)
        out = out[
            [
                "country",
                "module",
                "composite",
                "grade",
                "composite_equal",
                "grade_equal",
                "dimensions_used",
                "weights",
            ]
        ].reset_index(drop=True)
        out.attrs["weights"] = w
        return out

    # ---- display ---------------------------------------------------------------------

    def table_html(self, country: str | None = None, language: str = "en") -> str:
        """HTML table of the profile: modules x dimensions, cells coloured by grade."""
        countries = [country] if country is not None else self.countries
        dims = list(Dimension)
        head = "".join(
            f'<th title="{html.escape(d.label(language))}" style="padding:4px 8px">'
            f"{html.escape(d.label(language))}</th>"
            for d in dims
        )
        rows = []
        scores = self.scores.set_index(["country", "module", "dimension"])
        cov = self.coverage.set_index(["country", "module"]) if len(self.coverage) else None
        for c in countries:
            for m in [m for m in self.modules if (c, m, dims[0].value) in scores.index]:
                cells = []
                for d in dims:
                    r = scores.loc[(c, m, d.value)]
                    cells.append(_cell(r["grade"], r["score"], r["coverage"]))
                info = ac3 = ""
                if cov is not None and (c, m) in cov.index:
                    info = _pct(cov.loc[(c, m), "information_coverage"])
                    ac3 = _pct(cov.loc[(c, m), "ac3"])
                label = MODULE_NAMES.get(m, m)
                weight = "font-weight:bold;" if m == ALL_MODULES else ""
                rows.append(
                    f'<tr><td style="padding:4px 8px">{html.escape(c)}</td>'
                    f'<td style="padding:4px 8px;{weight}" title="{html.escape(label)}">'
                    f"{html.escape(m)} <small>{html.escape(label)}</small></td>"
                    + "".join(cells)
                    + f'<td style="padding:4px 8px;text-align:right">{info}</td>'
                    f'<td style="padding:4px 8px;text-align:right">{ac3}</td></tr>'
                )
        return (
            '<table style="border-collapse:collapse;font-family:sans-serif;font-size:13px">'
            '<thead><tr style="border-bottom:2px solid #444">'
            '<th style="padding:4px 8px">country</th><th style="padding:4px 8px">module</th>'
            f'{head}<th style="padding:4px 8px" title="answered share of the applicable '
            'weight of scored items">information coverage</th>'
            '<th style="padding:4px 8px" title="ESS QPI AC3: answered share of applicable '
            'items">AC3</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>"
        )

    def undercount_html(self) -> str:
        """HTML table of the QuantMig register undercount classes per source."""
        if self.undercount is None or self.undercount.empty:
            return "<p><i>No register source answered the registration questions.</i></p>"
        rows = []
        for _, r in self.undercount.iterrows():  # a handful of sources: display only
            rows.append(
                "<tr>"
                + "".join(
                    f'<td style="padding:3px 8px">{html.escape(_fmt(r.get(k)))}</td>'
                    for k in ("country", "source_id", "u_I", "class_I", "u_E", "class_E")
                )
                + "</tr>"
            )
        head = "".join(
            f'<th style="padding:3px 8px">{h}</th>'
            for h in (
                "country",
                "source",
                "u<sub>I</sub>",
                "immigration undercount",
                "u<sub>E</sub>",
                "emigration undercount",
            )
        )
        return (
            '<table style="border-collapse:collapse;font-family:sans-serif;font-size:13px">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )

    def _repr_html_(self) -> str:
        n_fail = int((self.files["status"] == "failed").sum()) if len(self.files) else 0
        summary = (
            f"<b>QualityProfile</b>: {len(self.countries)} "
            f"countr{'y' if len(self.countries) == 1 else 'ies'}, modules "
            f"{', '.join(self.modules)}; {len(self.problems)} problem(s)"
            + (f"; {n_fail} file(s) could not be read" if n_fail else "")
        )
        legend = " ".join(
            f'<span style="background:{bg};color:{fg};padding:1px 6px">{g}</span>'
            for g, (bg, fg) in GRADE_COLOURS.items()
        )
        note = (
            f"<p style='font-size:12px'>{legend} grades: A &ge; 0.75, B &ge; 0.50, "
            f"C &ge; 0.25, D below; I = {INSUFFICIENT} (under "
            f"{self.min_coverage:.0%} of the applicable weight answered); blank: no item "
            "applies. Cell: grade, score and (coverage when incomplete).</p>"
        )
        return (
            f"<div><p>{summary}</p>{self.table_html()}{note}"
            f"<p><b>Register undercount (QuantMig)</b></p>{self.undercount_html()}</div>"
        )

    def __repr__(self) -> str:
        shown = self.countries[:10] + (["..."] if len(self.countries) > 10 else [])
        return (
            f"QualityProfile(countries={shown}, modules={self.modules}, "
            f"problems={len(self.problems)})"
        )


def _pct(value: Any) -> str:
    return "" if pd.isna(value) else f"{float(value):.0%}"


def _fmt(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _cell(grade: Any, score: Any, coverage: Any) -> str:
    if pd.isna(grade):
        return '<td style="padding:4px 8px;text-align:center;color:#999">&ndash;</td>'
    bg, fg = GRADE_COLOURS[str(grade)]
    text = f"<b>{grade}</b>"
    if not pd.isna(score):
        text += f" {float(score):.2f}"
    if not pd.isna(coverage) and float(coverage) < 0.999:
        text += f" <small>({float(coverage):.0%})</small>"
    return (
        f'<td style="padding:4px 8px;text-align:center;background:{bg};color:{fg};'
        f'border:1px solid #fff">{text}</td>'
    )
