"""Flows from stocks (migdata.estimate.flows): worked examples of the method papers as printed
by R migest, invariants as hypothesis properties, and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import migdata
from migdata import ConfigurationError, InputError, ModelError
from migdata.estimate import flows_from_stocks

R = list("ABCD")


def _rows(values: list[float]) -> pd.DataFrame:
    """A 4 x 4 birthplace x residence table filled by rows."""
    return pd.DataFrame(np.array(values, float).reshape(4, 4), index=R, columns=R)


def _cols(values: list[float]) -> pd.DataFrame:
    """Filled by columns, as R's ``s1[,] <- c(...)`` in migest's examples."""
    return _rows(values).T.set_axis(R, axis=0).set_axis(R, axis=1)


# Abel (2013) Demographic Research / Abel and Sander (2014) Science, ffs_demo help page.
S1 = _rows([1000, 100, 10, 0, 55, 555, 50, 5, 80, 40, 800, 40, 20, 25, 20, 200])
S2 = _rows([950, 100, 60, 0, 80, 505, 75, 5, 90, 30, 800, 40, 40, 45, 0, 180])
# with births and deaths (Demographic Research paper example)
S1_BD = _cols([1000, 55, 80, 20, 100, 555, 40, 25, 10, 50, 800, 20, 0, 5, 40, 200])
S2_BD = _cols([1060, 45, 70, 30, 60, 540, 75, 30, 10, 40, 770, 20, 10, 0, 70, 230])
DEATHS = pd.Series([70, 30, 50, 10], index=R)


def _tidy(m: pd.DataFrame) -> pd.DataFrame:
    return m.rename_axis(index="birth", columns="residence").stack().rename("stock").reset_index()


def test_abel_2013_worked_example() -> None:
    """The 4-region example gives migest's printed flows exactly (150 movers)."""
    est = flows_from_stocks(S1, S2)
    expected = _rows([0, 0, 50, 0, 35, 0, 25, 0, 10, 10, 0, 0, 10, 10, 0, 0])
    np.testing.assert_allclose(est.matrix().to_numpy(), expected.to_numpy(), atol=1e-9)
    bb = est.by_birth.set_index(["birth", "orig", "dest"])["flow"]
    assert bb[("A", "A", "A")] == pytest.approx(950)  # stayers are in the detailed table
    assert bb[("D", "C", "A")] == pytest.approx(10)
    assert est.diagnostics.converged and not est.diagnostics.adjustments


def test_tidy_and_square_inputs_agree() -> None:
    """Tidy (birth, residence, stock) frames give the same flows as square tables."""
    a = flows_from_stocks(_tidy(S1), _tidy(S2)).flows
    b = flows_from_stocks(S1, S2).flows
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == ["orig", "dest", "flow"]
    assert (a["orig"] != a["dest"]).all() and len(a) == 12


def test_open_and_open_dr_reproduce_migest_births_deaths_example() -> None:
    """Births and deaths, open birthplace totals: migest's printed od totals and cells."""
    births = pd.DataFrame({"region": R, "births": [80, 20, 40, 60]})
    deaths = pd.DataFrame({"region": R, "deaths": DEATHS.to_numpy()})
    dr = flows_from_stocks(S1_BD, S2_BD, births, deaths, match_birthplace_totals="open-dr")
    op = flows_from_stocks(S1_BD, S2_BD, births, deaths, match_birthplace_totals="open")
    assert dr.flows["flow"].sum() == pytest.approx(131.95487, abs=1e-4)
    assert op.flows["flow"].sum() == pytest.approx(136.10346, abs=1e-4)
    m = op.matrix()
    assert m.loc["A", "B"] == pytest.approx(8.897732, abs=1e-5)
    assert m.loc["C", "D"] == pytest.approx(26.145924, abs=1e-5)
    assert dr.matrix().loc["B", "A"] == pytest.approx(26.42296, abs=1e-5)
    assert op.accounts["out_of_system"].sum() > 0


def test_mid_birthplace_totals_close_to_migest_science_example() -> None:
    """Science supplement (births 80, 20, 60, 60): within migest's loose IPF tolerance."""
    births = pd.Series([80, 20, 60, 60], index=R)
    est = flows_from_stocks(S1_BD, S2_BD, births, DEATHS)
    assert est.flows["flow"].sum() == pytest.approx(127.711866, rel=1e-3)
    m = est.matrix()
    assert m.loc["B", "A"] == pytest.approx(34.107236, abs=0.05)
    assert m.loc["C", "D"] == pytest.approx(25.713389, abs=0.05)


def test_imr_supplement_with_births_exceeding_natives() -> None:
    """Abel (2018) supplement: B's 50 births exceed its 45 natives and are spread (noted).

    migest 2.0.1 prints 74.945 movers; it spreads B's births over an end stock of 139.5
    rather than the 140 counted (8.96 of them to the A-born, not 50 * 25 / 140 = 8.93), a
    pre-adjustment of the native-born stocks; the estimates agree to within 1%.
    """
    s1 = _cols([100, 20, 10, 20, 10, 55, 40, 25, 10, 25, 140, 20, 0, 10, 65, 200])
    s2 = _cols([75, 20, 30, 30, 25, 45, 40, 30, 5, 30, 150, 20, 0, 15, 60, 230])
    births = pd.Series([10, 50, 25, 60], index=R)
    deaths = pd.Series([30, 10, 40, 10], index=R)
    est = flows_from_stocks(s1, s2, births, deaths)
    assert est.flows["flow"].sum() == pytest.approx(74.945047, rel=0.01)
    assert est.accounts["births"][0, 1] == pytest.approx(50 * 25 / 140)
    assert (
        "births exceed the native-born stock at the end in ['B']" in est.diagnostics.adjustments[0]
    )
    m = est.matrix()
    assert m.loc["B", "C"] == pytest.approx(18.687672, rel=0.05)
    assert m.loc["D", "A"] == pytest.approx(17.48830, rel=0.05)


def test_imr_example_and_distance_seed() -> None:
    """Abel (2018) example: the exact minimum-migration solution (migest prints it to 1e-3)."""
    s1 = _cols([100, 20, 10, 20, 10, 55, 40, 25, 10, 25, 140, 20, 0, 10, 65, 200])
    s2 = _cols([70, 25, 10, 40, 30, 60, 55, 45, 10, 10, 140, 0, 10, 15, 50, 180])
    est = flows_from_stocks(s1, s2)
    printed = _rows(
        [
            0,
            20.06112,
            0.04438808,
            9.998155,
            0,
            0,
            0,
            0,
            15.05250,
            14.71183,
            0,
            5.049044,
            10.07641,
            24.72465,
            0.722026,
            0,
        ]
    )
    np.testing.assert_allclose(est.matrix().to_numpy(), printed.to_numpy(), atol=0.75)
    assert est.flows["flow"].sum() == pytest.approx(100.0)
    dist = _rows([0, 5, 50, 500, 5, 0, 45, 495, 50, 45, 0, 450, 500, 495, 450, 0])
    seeded = flows_from_stocks(s1, s2, seed=dist).matrix()
    assert seeded.loc["C", "A"] == pytest.approx(15.420677, abs=0.25)  # migest, tol 1e-3
    assert seeded.loc["C", "A"] > seeded.loc["C", "B"]  # the seed is used as given


def test_without_stayer_assumption_moves_more() -> None:
    """Without the stayer assumption the same stocks imply more migration."""
    with_stayers = flows_from_stocks(S1, S2).flows["flow"].sum()
    without = flows_from_stocks(S1, S2, stayer_assumption=False)
    assert without.flows["flow"].sum() > with_stayers
    assert without.label.startswith("demographic (no stayer")


def test_stock_differencing_as_migest() -> None:
    """ffs_diff example: decreases as returns, or set to zero; native-born left out."""
    s1 = _rows([100, 10, 10, 0, 20, 55, 25, 10, 10, 40, 140, 65, 20, 25, 20, 200])
    s2 = _rows([75, 25, 5, 15, 20, 45, 30, 15, 30, 40, 150, 35, 10, 50, 5, 200])
    zero = flows_from_stocks(s1, s2, method="difference", decrease="zero").matrix()
    np.testing.assert_allclose(
        zero.to_numpy(), np.clip((s2 - s1).to_numpy(), 0, None) * ~np.eye(4, dtype=bool)
    )
    ret = flows_from_stocks(s1, s2, method="diff").matrix()
    assert ret.loc["C", "A"] == pytest.approx(20 + 5)  # C-born in A +20; A-born in C -5 return
    assert ret.loc["D", "C"] == pytest.approx(30)  # C-born in D fell 65 -> 35: return to C
    assert (ret.to_numpy() >= 0).all()


def test_rates_methods() -> None:
    """Dennett spreads M like the start stocks; Rogers-von Rabenau never gives negative flows."""
    s1 = _rows([100, 10, 10, 0, 20, 55, 25, 10, 10, 40, 140, 65, 20, 25, 20, 200])
    s2 = _rows([75, 25, 5, 15, 20, 45, 30, 15, 30, 40, 150, 35, 10, 50, 5, 200])
    den = flows_from_stocks(s1, s2, method="dennett", total=100)
    assert den.flows["flow"].sum() == pytest.approx(100)
    assert den.matrix().loc["C", "D"] == pytest.approx(100 * 65 / 255)
    default = flows_from_stocks(s1, s2, method="dennett")
    assert any("total migration M" in n for n in default.diagnostics.notes)
    rvr = flows_from_stocks(s1, s2, method="rogers-von-rabenau")
    g = np.linalg.solve(s1.to_numpy(), s2.to_numpy()) * s1.to_numpy().sum(axis=0)[:, None]
    np.fill_diagonal(g, 0)
    np.testing.assert_allclose(rvr.matrix().to_numpy(), np.clip(g, 0, None))
    assert (g < 0).any() and any("negative" in n for n in rvr.diagnostics.notes)


def test_flat_api_and_result_views() -> None:
    """flows_from_stocks is in the flat API; the result shows itself and its diagnostics."""
    est = migdata.flows_from_stocks(S1, S2)
    assert "150 movers" in repr(est) and "<table" in est._repr_html_()
    assert est.stayers.set_index("region").loc["A", "stayers"] == pytest.approx(950 + 55 + 80 + 20)
    frame = est.to_frame()
    assert set(frame["kind"]) == {"estimate from stocks"}
    assert est.provenance["reference"].startswith("Abel (2013)")
    assert est.diagnostics.to_frame()["kind"].iloc[0] == "convergence"


def test_census_stocks_of_several_countries() -> None:
    """Harmonised census rows of several countries and two dates feed the estimate."""

    def rows(period: str, cells: dict[tuple[str, str], float]) -> pd.DataFrame:
        out = [
            {
                "measure": "STK",
                "ref_area": res,
                "counterpart_area": birth,
                "counterpart_type": "BIRTH",
                "sex": "_T",
                "age": "_T",
                "time_period": period,
                "obs_value": v,
            }
            for (birth, res), v in cells.items()
        ]
        out += [
            {**out[0], "counterpart_area": "_U", "obs_value": 7.0},
            {**out[0], "counterpart_area": "FRA", "obs_value": 3.0},
            {**out[0], "counterpart_type": "CITIZENSHIP", "obs_value": 99.0},
        ]
        return pd.DataFrame(out)

    start = rows(
        "2012", {("KEN", "KEN"): 100, ("UGA", "KEN"): 10, ("UGA", "UGA"): 80, ("KEN", "UGA"): 5}
    )
    end = rows(
        "2022", {("KEN", "KEN"): 95, ("UGA", "KEN"): 20, ("UGA", "UGA"): 70, ("KEN", "UGA"): 10}
    )
    est = flows_from_stocks(start, end)
    m = est.matrix()
    assert m.loc["UGA", "KEN"] == pytest.approx(10) and m.loc["KEN", "UGA"] == pytest.approx(5)
    text = " ".join(est.diagnostics.notes)
    assert "unknown or aggregate birthplace (_U)" in text and "born outside" in text
    assert est.provenance["start_date"] == "2012" and est.provenance["end_date"] == "2022"


def test_countries_resolved_only_when_asked() -> None:
    """Labels are plain strings unless countries=True resolves them to ISO alpha-3."""
    names = {"A": "Kenya", "B": "Ouganda", "C": "Rwanda", "D": "Zambia"}
    s1, s2 = (_tidy(s).replace(names) for s in (S1, S2))
    assert flows_from_stocks(s1, s2).regions == ("Kenya", "Ouganda", "Rwanda", "Zambia")
    assert flows_from_stocks(s1, s2, countries=True).regions == ("KEN", "RWA", "UGA", "ZMB")


# ---------------------------------------------------------------------- bad input
def test_different_region_sets_are_an_error() -> None:
    """Residences that appear at one date only are named in the error."""
    end = _tidy(S2)
    end = end[end["residence"] != "D"]
    with pytest.raises(InputError, match=r"only at the start \['D'\]"):
        flows_from_stocks(_tidy(S1), end)


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (np.nan, "birthplace A, residence D: expected a count, got nothing"),
        (-5.0, "expected a count >= 0, got -5.0"),
        ("many", "expected a count, got 'many'"),
    ],
)
def test_missing_negative_or_text_cells(value: object, match: str) -> None:
    """A missing, negative or unreadable stock is an InputError naming the row and column."""
    bad = _tidy(S1).astype({"stock": object})
    bad.loc[3, "stock"] = value
    with pytest.raises(InputError, match=match) as err:
        flows_from_stocks(bad, _tidy(S2))
    assert err.value.row == 3 and err.value.column == "stock"


def test_births_for_unknown_region() -> None:
    """Births or deaths for a region not in the stocks are an error; missing ones count 0."""
    with pytest.raises(InputError, match=r"regions \['E'\]"):
        flows_from_stocks(S1, S2, births=pd.DataFrame({"region": ["E"], "births": [1]}))
    est = flows_from_stocks(S1, S2, deaths=pd.DataFrame({"region": ["A"], "deaths": [10]}))
    assert any("counted as 0" in n for n in est.diagnostics.notes)


def test_unbalanceable_system_is_a_model_error() -> None:
    """More deaths than people, or a closed world that cannot be balanced: ModelError."""
    with pytest.raises(ModelError, match="region 'D'"):
        flows_from_stocks(S1.assign(D=0.0), S2.assign(D=0.0), deaths=pd.Series({"D": 5.0}))
    with pytest.raises(ModelError, match="native-born stocks"):
        flows_from_stocks(S1, S2, births=pd.Series({"A": 1e6}))
    with pytest.raises(ModelError, match="system closes"):
        flows_from_stocks(S1, S2, births=pd.Series({"A": 10.0}), match_global="none")


def test_unknown_options() -> None:
    """Unknown methods and options are ConfigurationErrors listing the choices."""
    with pytest.raises(ConfigurationError, match="dennett"):
        flows_from_stocks(S1, S2, method="gravity")
    with pytest.raises(ConfigurationError, match="mid, open"):
        flows_from_stocks(S1, S2, match_birthplace_totals="closed")


def test_non_convergence_is_reported_not_raised() -> None:
    """An IPF stopped early says so in the diagnostics; flows stay finite."""
    dist = _rows([0, 5, 50, 500, 5, 0, 45, 495, 50, 45, 0, 450, 500, 495, 450, 0])
    est = flows_from_stocks(S1_BD, S2_BD, seed=dist, max_iter=1, tol=1e-14)
    assert not est.diagnostics.converged
    assert any("did not converge" in n for n in est.diagnostics.notes)
    assert np.isfinite(est.flows["flow"]).all()


# ---------------------------------------------------------------------- properties
@st.composite
def systems(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Start stocks, true moves by birthplace, proportional deaths, native births."""
    n = draw(st.integers(2, 5))
    cell = st.integers(0, 300)
    s1 = np.array(draw(st.lists(cell, min_size=n * n, max_size=n * n)), float).reshape(n, n)
    s1[np.diag_indices(n)] += draw(st.lists(st.integers(200, 2000), min_size=n, max_size=n))
    share = np.array(draw(st.lists(st.floats(0, 0.05), min_size=n, max_size=n)))
    d_mat = s1 * share[None, :]
    moves = np.zeros((n, n, n))
    for b in range(n):
        for o in range(n):
            dest = draw(st.integers(0, n - 1))
            moves[b, o, dest] = (s1[b, o] - d_mat[b, o]) * draw(st.floats(0, 0.5))
    births = np.array(draw(st.lists(st.integers(0, 100), min_size=n, max_size=n)), float)
    s2 = s1 - d_mat - moves.sum(axis=2) + moves.sum(axis=1) + np.diag(births)
    return s1, s2, births, d_mat.sum(axis=0)


def _frames(s1: np.ndarray, s2: np.ndarray, b: np.ndarray, d: np.ndarray, names: list[str]):
    def sq(m: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(m, index=names, columns=names)

    return sq(s1), sq(s2), pd.Series(b, index=names), pd.Series(d, index=names)


@settings(max_examples=60, deadline=None)
@given(systems())
def test_properties_of_demographic_accounting(system) -> None:  # type: ignore[no-untyped-def]
    """Flows >= 0; margins = stock changes net of births and deaths; stayers <= both stocks."""
    s1, s2, b, d = system
    n = len(b)
    names = [f"r{i}" for i in range(n)]
    est = flows_from_stocks(*_frames(s1, s2, b, d, names), tol=1e-10)
    assert (est.flows["flow"] >= 0).all() and np.isfinite(est.flows["flow"]).all()
    assert not est.diagnostics.adjustments  # the generated system closes
    f = est.array
    scale = s1.sum()
    np.testing.assert_allclose(f.sum(axis=2), s1 - est.accounts["deaths"], atol=1e-7 * scale)
    np.testing.assert_allclose(f.sum(axis=1), s2 - est.accounts["births"], atol=1e-7 * scale)
    od = est.matrix().to_numpy()
    net = od.sum(axis=0) - od.sum(axis=1)
    np.testing.assert_allclose(s2.sum(axis=0) - s1.sum(axis=0), b - d + net, atol=1e-6 * scale)
    stay = f[:, np.arange(n), np.arange(n)]
    assert (stay <= np.minimum(s1, s2) + 1e-7 * scale).all()


@settings(max_examples=40, deadline=None)
@given(systems(), st.randoms(use_true_random=False), st.floats(0.01, 100))
def test_permutation_and_scaling(system, rnd, k: float) -> None:  # type: ignore[no-untyped-def]
    """Relabelling regions relabels the flows; scaling every input scales the flows."""
    s1, s2, b, d = system
    n = len(b)
    names = [f"r{i}" for i in range(n)]
    base = flows_from_stocks(*_frames(s1, s2, b, d, names), tol=1e-12).matrix()
    perm = list(range(n))
    rnd.shuffle(perm)
    p = np.array(perm)
    moved = flows_from_stocks(
        *_frames(s1[np.ix_(p, p)], s2[np.ix_(p, p)], b[p], d[p], [names[i] for i in p]),
        tol=1e-12,
    ).matrix()
    scale = max(s1.sum(), 1.0)
    np.testing.assert_allclose(
        moved.loc[names, names].to_numpy(), base.to_numpy(), atol=1e-8 * scale
    )
    scaled = flows_from_stocks(*_frames(s1 * k, s2 * k, b * k, d * k, names), tol=1e-12)
    np.testing.assert_allclose(
        scaled.matrix().to_numpy(), base.to_numpy() * k, atol=1e-8 * scale * k
    )


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 5), st.data())
def test_arbitrary_stocks_never_give_nan(n: int, data: st.DataObject) -> None:
    """Stocks that do not close are adjusted (with a note) or refused; flows are never NaN."""
    cells = st.lists(st.integers(0, 500), min_size=n * n, max_size=n * n)
    s1 = np.array(data.draw(cells), float).reshape(n, n) + np.eye(n) * 1000
    s2 = np.array(data.draw(cells), float).reshape(n, n) + np.eye(n) * 1000
    names = [f"r{i}" for i in range(n)]
    vital = st.lists(st.integers(0, 30), min_size=n, max_size=n)
    b, d = np.array(data.draw(vital), float), np.array(data.draw(vital), float)
    options = data.draw(
        st.fixed_dictionaries(
            {
                "stayer_assumption": st.booleans(),
                "match_birthplace_totals": st.sampled_from(["mid", "open", "open-dr"]),
                "match_global": st.sampled_from(["before-demo-adjust", "after-demo-adjust"]),
                "birth_method": st.sampled_from(["native", "proportion"]),
                "death_method": st.sampled_from(["proportion", "accounting"]),
            }
        )
    )
    try:
        est = flows_from_stocks(*_frames(s1, s2, b, d, names), **options)
    except ModelError as exc:  # refused: the message says where and what to change
        assert "stock" in str(exc) and ("method" in str(exc) or "match_" in str(exc))
        return
    assert np.isfinite(est.flows["flow"]).all() and (est.flows["flow"] >= 0).all()
    f = est.array
    np.testing.assert_allclose(f.sum(axis=2), est.accounts["start"], atol=1e-6 * s1.sum())
    np.testing.assert_allclose(f.sum(axis=1), est.accounts["end"], atol=1e-6 * s1.sum())
    if not (b.any() or d.any() or np.allclose(s1.sum(axis=1), s2.sum(axis=1))):
        assert est.diagnostics.adjustments  # stocks that do not close were adjusted, visibly


def test_census_objects_from_census_stocks() -> None:
    """Census results of several countries at two dates go straight in; dates are kept."""
    from migdata.sources.profile import SourceProfile

    def census(country: str, year: int, people: dict[str, float]) -> object:
        profile = SourceProfile(source_id=f"{country}-CEN-{year}", country=country,
                                source_type="census")  # fmt: skip
        micro = pd.DataFrame({"country_of_birth": list(people), "citizenship": list(people),
                              "weight": list(people.values())})  # fmt: skip
        return migdata.census_stocks(micro, profile, year, weight_column="weight",
                                     sex_column=None, age_column=None)  # fmt: skip

    start = [census("KEN", 2012, {"Kenya": 900.0, "Uganda": 50.0, "France": 5.0}),
             census("UGA", 2012, {"Uganda": 700.0, "Kenya": 20.0})]  # fmt: skip
    end = [census("KEN", 2022, {"Kenya": 880.0, "Uganda": 50.0, "France": 5.0}),
           census("UGA", 2022, {"Uganda": 700.0, "Kenya": 40.0})]  # fmt: skip
    est = flows_from_stocks(start, end)
    assert est.regions == ("KEN", "UGA")
    assert est.matrix().loc["KEN", "UGA"] == pytest.approx(20.0)
    assert est.provenance["end_date"] == "2022"
    assert any("FRA" in n for n in est.diagnostics.notes)
    table = migdata.MirrorTable.from_eurostat(
        pd.DataFrame(
            {
                "Year": [2022],
                "Sending_iso2": ["KE"],
                "Receiving_iso2": ["UG"],
                "Emig": [1],
                "Immi": [2],
            }
        )
    ).with_estimates(est, years=10)
    assert table.estimates["year"].tolist() == [2022, 2022]
    assert table.estimates.set_index("origin").loc["KEN", "estimate"] == pytest.approx(2.0)
