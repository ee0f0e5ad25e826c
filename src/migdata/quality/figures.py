"""Figures of quality profiles: grade heatmaps (countries or modules x ESS dimensions).

Functions return a ``matplotlib.figure.Figure`` built without pyplot, so nothing is shown
or kept open behind the caller's back (Jupyter displays the returned figure).
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from migdata.errors import ConfigurationError
from migdata.quality.dimensions import INSUFFICIENT, Dimension
from migdata.quality.profile import GRADE_COLOURS, MODULE_NAMES, QualityProfile
from migdata.quality.rubric import ALL_MODULES

__all__ = ["heatmap"]

_NOT_APPLICABLE = "#ffffff"


def _panel(
    ax: Any, scores: pd.DataFrame, rows: list[str], row_key: str, language: str, title: str
) -> None:
    dims = list(Dimension)
    table = scores.set_index([row_key, "dimension"])
    rgb = np.ones((len(rows), len(dims), 3))
    for i, r in enumerate(rows):
        for j, d in enumerate(dims):
            key = (r, d.value)
            if key not in table.index:
                continue
            grade = table.loc[key, "grade"]
            score = table.loc[key, "score"]
            colour, text_colour = (
                (_NOT_APPLICABLE, "#999999") if pd.isna(grade) else GRADE_COLOURS[str(grade)]
            )
            rgb[i, j] = to_rgb(colour)
            if pd.isna(grade):
                label = "–"
            elif pd.isna(score):
                label = str(grade)
            else:
                # An insufficient-information score is shown in brackets: not to be trusted.
                fmt = "{}\n({:.2f})" if str(grade) == "I" else "{}\n{:.2f}"
                label = fmt.format(grade, float(score))
            ax.text(j, i, label, ha="center", va="center", fontsize=9, color=text_colour)
    ax.imshow(rgb, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(len(dims)))
    ax.set_xticklabels([textwrap.fill(d.label(language), 14) for d in dims], fontsize=8)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(rows, fontsize=9)
    ax.set_xticks(np.arange(-0.5, len(dims)), minor=True)
    ax.set_yticks(np.arange(-0.5, len(rows)), minor=True)
    ax.grid(which="minor", color="white", linewidth=2)
    ax.tick_params(which="minor", length=0)
    ax.tick_params(which="major", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(title, fontsize=10, loc="left")


def heatmap(
    profile: QualityProfile,
    module: str | None = None,
    *,
    country: str | None = None,
    language: str = "en",
) -> Figure:
    """Grades of a quality profile as a heatmap, with the grade and score in each cell.

    Parameters
    ----------
    profile
        The quality profile (from :func:`migdata.quality.score`).
    module
        One module (``STK``, ``IMM``, ``EMI``, ``NAB``, ``RP`` or ``ALL``): countries x
        dimensions. None: one panel per module (small multiples, ``ALL`` last).
    country
        One country: its modules x dimensions in a single panel (``module`` ignored).
    language
        Language of the dimension labels (en, fr, pt, ar).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigurationError
        A module or country not in the profile.

    Examples
    --------
    >>> import pandas as pd
    >>> from migdata.quality.rubric import apply_rubric
    >>> items = pd.DataFrame({"id": ["q1"], "weight": [2], "scored": [True]})
    >>> loadings = pd.DataFrame({"item_id": ["q1"], "dimension": ["accuracy"], "loading": [1.0]})
    >>> answers = pd.DataFrame({"country": ["RWA", "KEN"], "module": "IMM", "item_id": "q1",
    ...                         "level": [2, 3], "status": "answered"})
    >>> fig = heatmap(QualityProfile.from_rubric(apply_rubric(answers, items, loadings)), "IMM")
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['KEN', 'RWA']
    """
    scores = profile.scores
    dims = list(Dimension)
    if country is not None:
        if country not in profile.countries:
            raise ConfigurationError(
                f"country {country!r} is not in the profile; it has "
                f"{', '.join(profile.countries) or 'no country'}"
            )
        panels = [(f"{country}: quality by module", scores[scores["country"] == country])]
        row_key = "module"
        rows_of = [m for m in profile.modules if m in set(panels[0][1]["module"])]
        row_lists = [rows_of]
    else:
        modules = profile.modules if module is None else [str(module).upper()]
        unknown = [m for m in modules if m not in profile.modules]
        if unknown:
            raise ConfigurationError(
                f"module {unknown[0]!r} is not in the profile; it has "
                f"{', '.join(profile.modules) or 'no module'}"
            )
        panels = [
            (f"{m}: {MODULE_NAMES.get(m, m)}", scores[scores["module"] == m]) for m in modules
        ]
        row_key = "country"
        row_lists = [sorted(p[1]["country"].unique()) for p in panels]

    n = max(len(panels), 1)
    ncols = 1 if n == 1 else min(3, n)
    nrows = int(np.ceil(n / ncols))
    max_rows = max((len(r) for r in row_lists), default=1)
    width = ncols * (1.05 * len(dims) + 1.6)
    height = nrows * (0.42 * max_rows + 1.5) + 0.9
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for k, ax in enumerate(axes.ravel()):
        if k >= len(panels):
            ax.set_visible(False)
            continue
        title, frame = panels[k]
        _panel(ax, frame, row_lists[k], row_key, language, title)
    handles = [
        Patch(facecolor=GRADE_COLOURS[g][0], edgecolor="#999999", label=label)
        for g, label in (
            ("A", "A  ≥ 0.75"),
            ("B", "B  ≥ 0.50"),
            ("C", "C  ≥ 0.25"),
            ("D", "D  < 0.25"),
            ("I", f"I  {INSUFFICIENT}"),
        )
    ]
    handles.append(
        Patch(facecolor=_NOT_APPLICABLE, edgecolor="#999999", label="–  no item applies")
    )
    fig.legend(handles=handles, loc="outside lower center", ncols=min(6, len(handles)), fontsize=8)
    if module is None and country is None and len(panels) > 1 and ALL_MODULES in profile.modules:
        fig.suptitle(
            "ESS quality grades by module (cell: grade and score 0-1)",
            fontsize=11,
            x=0.01,
            ha="left",
        )
    return fig
