"""Summaries of flow tables (migdata.estimate.summaries) against published values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import migdata
from migdata import InputError

R = list("ABCD")
# migest sum_bilat example (rows = origins)
M = pd.DataFrame([[0, 100, 30, 70], [50, 0, 45, 5], [60, 35, 0, 40], [20, 25, 20, 0]],
                 index=R, columns=R, dtype=float)  # fmt: skip
# migration.indices' migration.hyp: Gini total 0.2666667 (corrected), 0.2222222 (not)
HYP = pd.DataFrame([[0, 10, 10], [20, 0, 20], [30, 30, 0]], index=list("ABC"),
                   columns=list("ABC"), dtype=float)  # fmt: skip


def _tidy(m: pd.DataFrame) -> pd.DataFrame:
    long = m.rename_axis(index="orig", columns="dest").stack().rename("flow").reset_index()
    return long[long["orig"] != long["dest"]]


def test_bilateral_net_pairs_flows_with_counterflows() -> None:
    """Each corridor has its counter-flow; net flows of a pair cancel; tidy = square input."""
    out = migdata.bilateral_net(M)
    ab = out.set_index("corridor").loc["A -> B"]
    assert (ab["flow"], ab["counter_flow"], ab["net_flow"], ab["interchange"]) == (100, 50, 50, 150)
    assert out.groupby("pair")["net_flow"].sum().abs().max() == 0
    pd.testing.assert_frame_equal(out, migdata.bilateral_net(_tidy(M)))


def test_region_totals_balance() -> None:
    """In minus out is net; all nets add to zero; turnover is in plus out."""
    t = migdata.region_totals(_tidy(M)).set_index("region")
    assert t.loc["A", "outflow"] == 200 and t.loc["A", "inflow"] == 130
    assert t["net"].sum() == pytest.approx(0)
    np.testing.assert_allclose(t["turnover"], t["inflow"] + t["outflow"])


def test_gini_total_matches_migration_indices() -> None:
    """Total-flows Gini of the migration.indices example, corrected and not."""
    corrected = migdata.index_connectivity(HYP).set_index("measure")["value"]
    plain = migdata.index_connectivity(HYP, gini_corrected=False).set_index("measure")["value"]
    assert corrected["gini_total"] == pytest.approx(0.2666667, abs=1e-7)
    assert plain["gini_total"] == pytest.approx(0.2222222, abs=1e-7)
    assert corrected["connectivity"] == 1.0


def test_gini_of_equal_flows_is_zero_and_sim_inequality_of_independent_flows() -> None:
    """Equal flows are neither unequal nor focused; flows that follow orig + dest fit exactly."""
    equal = migdata.index_connectivity(pd.DataFrame(np.ones((3, 3)) * 5)).set_index("measure")
    assert equal.loc["gini_total", "value"] == 0 and equal.loc["inequality_equal", "value"] == 0
    o = np.array([1.0, 2.0, 3.0])
    indep = pd.DataFrame(np.outer(o, o) * 100)  # independent off the (ignored) diagonal
    sim = migdata.index_connectivity(indep).set_index("measure").loc["inequality_sim", "value"]
    assert 0 <= sim < 0.05


def test_intensity_and_impact() -> None:
    """CMP, Courgeau's k, effectiveness, ANMR, preference and velocity by their formulas."""
    pop = pd.DataFrame({"region": R, "pop": [1000.0, 800.0, 600.0, 400.0]})
    i = migdata.index_intensity(M, pop).set_index("measure")["value"]
    total = M.to_numpy().sum()
    assert i["cmp"] == pytest.approx(100 * total / 2800)
    assert i["courgeau_k"] == pytest.approx(i["cmp"] / np.log(16))
    imp = migdata.index_impact(M, pop).set_index("measure")["value"]
    x = M.to_numpy()
    net = x.sum(0) - x.sum(1)
    assert imp["effectiveness"] == pytest.approx(100 * np.abs(net).sum() / (2 * total))
    assert imp["anmr"] == pytest.approx(50 * np.abs(net).sum() / 2800)
    p = pop["pop"].to_numpy()
    assert imp["velocity"] == pytest.approx((x / np.outer(p, p) * p.sum()).sum())
    s = p / p.sum()
    assert imp["preference"] == pytest.approx((x / (total * np.outer(s, s))).sum())


def test_distance_decay_recovers_a_gravity_exponent() -> None:
    """Flows generated as a_i c_j d^-1.5 give decay -1.5 and the weighted mean distance."""
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 100, (8, 2))
    d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    np.fill_diagonal(d, 1.0)
    a, c = rng.uniform(1, 5, 8), rng.uniform(1, 5, 8)
    flows = np.outer(a, c) * d**-1.5 * 1e6
    np.fill_diagonal(flows, 0)
    labels = [f"r{i}" for i in range(8)]
    m = pd.DataFrame(flows, index=labels, columns=labels)
    dist = pd.DataFrame(d, index=labels, columns=labels)
    out = migdata.index_distance(m, dist).set_index("measure")["value"]
    assert out["decay"] == pytest.approx(-1.5, abs=1e-3)
    off = ~np.eye(8, dtype=bool)
    assert out["mean"] == pytest.approx(np.average(d[off], weights=flows[off]))


def test_summaries_take_an_estimate_and_reject_bad_tables() -> None:
    """A FlowsFromStocks result is a flow table; negative flows and unknown regions are errors."""
    s1 = pd.DataFrame([[100.0, 10.0], [0.0, 50.0]], index=["X", "Y"], columns=["X", "Y"])
    s2 = pd.DataFrame([[95.0, 15.0], [5.0, 45.0]], index=["X", "Y"], columns=["X", "Y"])
    est = migdata.flows_from_stocks(s1, s2)
    t = migdata.region_totals(est).set_index("region")
    assert t.loc["X", "outflow"] == pytest.approx(5) and t.loc["Y", "outflow"] == pytest.approx(5)
    with pytest.raises(InputError, match="flows >= 0"):
        migdata.bilateral_net(pd.DataFrame({"orig": ["A"], "dest": ["B"], "flow": [-1]}))
    with pytest.raises(InputError, match=r"no population for regions \['D'\]"):
        migdata.index_intensity(M, pd.Series({"A": 1.0, "B": 1.0, "C": 1.0}))
