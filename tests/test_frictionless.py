"""The bundle's datapackage.json passes the Frictionless validator (the reference tool)."""

from __future__ import annotations

from pathlib import Path

import pytest
from exchange_tables import sample

import migdata

frictionless = pytest.importorskip("frictionless")


def test_frictionless_accepts_the_bundle_and_checks_its_data(tmp_path: Path) -> None:
    """Package, CSV and Parquet resources valid; a value outside a code list is caught."""
    package = migdata.write_exchange(sample(), tmp_path / "bundle")
    report = frictionless.validate(str(package))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert [t.name for t in report.tasks] == ["data", "data-parquet"]
    # The schema is really applied: a sex code outside CL_SEX makes the CSV invalid.
    csv = package.parent / "data.csv"
    text = csv.read_text(encoding="utf-8")
    assert ",M," in text
    csv.write_text(text.replace(",M,", ",X,", 1), encoding="utf-8")
    report = frictionless.validate(str(package))
    assert not report.valid
    assert "constraint-error" in {e[2] for e in report.flatten(["rowNumber", "fieldName", "type"])}
