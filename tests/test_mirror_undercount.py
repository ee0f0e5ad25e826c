"""Tests of migdata.mirror.undercount (QuantMig reference-group index, binomial bootstrap)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from migdata.errors import InputError
from migdata.mirror.table import MirrorTable
from migdata.mirror.undercount import undercount_index

NORDIC_BENL = ["DK", "FI", "SE", "BE", "NL"]


@pytest.fixture
def real(shared_data: Any) -> MirrorTable:
    t = MirrorTable.from_eurostat(shared_data.path("eurostat_mirror_flows_2010_2019.csv"))
    return t.with_durations(
        shared_data.path("duration_thresholds_immigration_2002_2021.csv"),
        shared_data.path("duration_thresholds_emigration_2002_2021.csv"),
    )


def test_index_matches_definition(real: MirrorTable) -> None:
    """U^E of Italy 2015 equals the sum of its emigration over the partners' immigration."""
    u = undercount_index(real, NORDIC_BENL, draws=0)
    row = u.query(
        "country == 'ITA' and year == 2015 and side == 'emigration' and duration == 'raw'"
    )
    d = real.both_sides().query("origin == 'ITA' and year == 2015")
    d = d.loc[d.destination.isin(["DNK", "FIN", "SWE", "BEL", "NLD"])]
    assert row["index"].item() == pytest.approx(d.emigration.sum() / d.immigration.sum())
    assert row.n_partners.item() == len(d)


def test_duration_correction_uses_reporter_thresholds(real: MirrorTable) -> None:
    """The corrected index applies R(d) of each reporter's threshold for the pair and year."""
    u = undercount_index(real, NORDIC_BENL, draws=0)
    c = real.duration_corrected("imem").both_sides()
    # Slovakia's emigration definition is not 12 months: the correction changes its index.
    c = c.query("origin == 'SVK' and year == 2010")
    c = c.loc[c.destination.isin(["DNK", "FIN", "SWE", "BEL", "NLD"])].dropna(subset=["emigration"])
    rows = u.query("country == 'SVK' and year == 2010 and side == 'emigration'")
    row = rows.set_index("duration")["index"]
    assert row["corrected"] == pytest.approx(c.emigration.sum() / c.immigration.sum())
    assert row["corrected"] != pytest.approx(row["raw"])


def test_bootstrap_is_seeded_and_covers_estimate(real: MirrorTable) -> None:
    """Same seed gives the same intervals; the intervals contain the point estimate."""
    t = real.select(year=[2015, 2016])
    a = undercount_index(t, NORDIC_BENL, draws=300, seed=7)
    b = undercount_index(t, NORDIC_BENL, draws=300, seed=7)
    pd.testing.assert_frame_equal(a, b)
    ok = a.dropna(subset=["ci_low"])
    assert len(ok) > 40
    inside = (ok.ci_low <= ok["index"] * 1.02) & (ok["index"] <= ok.ci_high * 1.02)
    assert inside.mean() > 0.95
    assert (ok.se_log > 0).mean() > 0.9


def test_unknown_reference_country() -> None:
    """An unknown country in the reference group is an error naming it."""
    t = MirrorTable.from_eurostat(
        pd.DataFrame({"Year": [2015], "Sending_iso2": ["IT"], "Receiving_iso2": ["SE"],
                      "Emig": [1], "Immi": [2]})
    )  # fmt: skip
    with pytest.raises(InputError, match="Narnia"):
        undercount_index(t, ["SE", "Narnia"])
