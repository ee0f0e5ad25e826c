"""Properties of the configuration reader: the line of every key, canonical manifests."""

from __future__ import annotations

import json
import tomllib

from hypothesis import given
from hypothesis import strategies as st

from migdata.project.config import key_lines
from migdata.project.manifest import dumps, step_key

_names = st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True)
_values = st.one_of(st.integers(-5, 5), st.booleans(), st.text("abc xyz=#[]", max_size=6))


@given(st.dictionaries(_names, st.dictionaries(_names, _values, max_size=4), max_size=4))
def test_key_lines_finds_the_line_of_every_key(tables: dict[str, dict[str, object]]) -> None:
    """For any file of [tables] with key = value lines, each key's line is where it is written."""
    lines: list[str] = ["# a comment", ""]
    where: dict[tuple[str, ...], int] = {}
    for table, keys in tables.items():
        lines.append(f"[{table}]")
        for key, value in keys.items():
            lines.append(f"{key} = {json.dumps(value)}")
            where[(table, key)] = len(lines)
        lines.append("")
    text = "\n".join(lines)
    assert tomllib.loads(text) == tables
    found = key_lines(text)
    for path, line in where.items():
        assert found[path] == line


@given(st.dictionaries(_names, _values, max_size=6))
def test_step_key_and_dumps_do_not_depend_on_order(params: dict[str, object]) -> None:
    """The same parameters in another order give the same key and the same JSON text."""
    backwards = dict(reversed(list(params.items())))
    assert step_key(params, {}, {}) == step_key(backwards, {}, {})
    assert dumps(params) == dumps(backwards)


def test_accuracy_classes_from_scores() -> None:
    """The quality link for weights = "accuracy": score 0.75+ high, 0.50+ medium, else low."""
    from types import SimpleNamespace

    import pandas as pd

    from migdata.project.steps import accuracy_classes

    scores = pd.DataFrame(
        {
            "country": ["KEN", "KEN", "UGA", "UGA", "UGA"],
            "module": ["IMM", "EMI", "IMM", "EMI", "IMM"],
            "dimension": ["accuracy", "accuracy", "accuracy", "accuracy", "relevance"],
            "score": [0.8, 0.3, 0.6, None, 0.1],
        }
    )
    got = accuracy_classes(SimpleNamespace(scores=scores)).set_index("country")
    assert got.loc["KEN"].tolist() == ["high", "low"]
    assert got.loc["UGA"].tolist() == ["medium", "unknown"]
