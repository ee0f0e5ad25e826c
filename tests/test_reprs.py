"""Plain repr() of user-facing results is a one-line summary, never a dumped DataFrame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from exchange_tables import sample

from migdata.exchange import merge_submissions, read, validate, write
from migdata.mirror.ipf import ipf
from migdata.sources import SourceProfile
from migdata.sources.harmonise import harmonise


def _short(obj: object, *words: str) -> str:
    text = repr(obj)
    assert "\n" not in text and len(text) < 200, text
    for word in words:
        assert word in text, (word, text)
    return text


def test_harmonised_and_validation_reports_are_one_line() -> None:
    """Harmonised and ValidationReport say what they hold in a line."""
    rwa = SourceProfile(
        source_id="RWA-REG",
        country="RWA",
        source_type="population_register",
        measures=["IMM"],
        threshold_months=6,
        threshold_basis="registration_rule",
    )
    raw = pd.DataFrame(
        {
            "year": [2015] * 300,
            "country": ["KEN", "UGA", "Atlantis"] * 100,
            "sex": ["F"] * 300,
            "age": ["total"] * 300,
            "value": list(range(300)),
        }
    )
    h = harmonise(raw, rwa, "UN1998")
    text = _short(h, "Harmonised", "rows used", "rejected of 300", "APPROXIMATE")
    assert f"{len(h.rejected):,} rejected" in text
    table = sample()
    _short(validate(table), "ValidationReport", "valid")
    bad = _short(validate(table.assign(sex="X")), "ValidationReport", "problem")
    assert "code" in bad


def test_bundle_ipf_and_read_results_are_one_line(tmp_path: Path) -> None:
    """Bundle, IPFResult and ReadResult reprs are short; coverage counts are integers."""
    write(sample(), tmp_path / "ken.csv")
    write(sample().assign(ref_area="UGA", counterpart_area="KEN"), tmp_path / "uga.csv")
    bundle = merge_submissions(tmp_path)
    _short(bundle, "Bundle", "observations")
    matrix = bundle.coverage_matrix()
    assert all(pd.api.types.is_integer_dtype(t) for t in matrix.dtypes), matrix.dtypes
    assert "18.0" not in matrix.to_string() and ".0 " not in matrix.to_string()
    _short(read(tmp_path / "ken.csv"), "ReadResult", "rows")
    seed = np.ones((3, 3)) - np.eye(3)
    res = ipf(seed, [30, 20, 10], [25, 25, 10], structural_zeros=np.eye(3, dtype=bool))
    _short(res, "IPFResult", "converged", "iteration")


def test_definitions_and_structures_are_one_line() -> None:
    """Dataflow, Codelist and TargetDefinition reprs name the thing, not every field."""
    import migdata
    from migdata.exchange.structures import codelists

    _short(migdata.dataflow("DF_MIG_IMM"), "DF_MIG_IMM", "REF_AREA")
    _short(migdata.target("UN1998"), "UN1998")
    for cl in codelists().values():
        _short(cl, cl.id, "codes")
