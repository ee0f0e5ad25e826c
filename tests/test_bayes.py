"""The Bayesian measurement model of mirror flows (``reconcile(table, method="bayes")``)."""

from __future__ import annotations

import builtins
import warnings

import numpy as np
import pandas as pd
import pytest

from migdata import MirrorTable, reconcile
from migdata.errors import ConfigurationError, DependencyError, ModelError
from migdata.mirror.bayes import _simulate, read_covariates
from migdata.mirror.eurostat import resolve_countries

COUNTRIES = ["SE", "FI", "NO", "DK"]
YEARS = [2015, 2016, 2017, 2018]


@pytest.fixture(scope="module")
def simulated() -> tuple[MirrorTable, pd.DataFrame]:
    frame, truth = _simulate(COUNTRIES, YEARS, seed=3)
    truth = truth.assign(origin=resolve_countries(truth["Sending_iso2"]),
                         destination=resolve_countries(truth["Receiving_iso2"]),
                         year=truth["Year"])  # fmt: skip
    return MirrorTable.from_eurostat(frame), truth


@pytest.fixture(scope="module")
def laplace(simulated: tuple[MirrorTable, pd.DataFrame]):  # type: ignore[no-untyped-def]
    table, _ = simulated
    return reconcile(table, "bayes", reference="SE", inference="laplace", quality="table",
                     draws=400, seed=1)  # fmt: skip


def test_every_corridor_year_gets_an_estimate_with_an_interval(laplace) -> None:  # type: ignore[no-untyped-def]
    flows = laplace.flows
    n = len(COUNTRIES)
    assert len(flows) == n * (n - 1) * len(YEARS)  # the full grid, unreported corridors too
    assert {"origin", "destination", "year", "sex", "age", "emigration", "immigration",
            "harmonised", "lower", "upper", "provenance", "sides"} <= set(flows.columns)
    assert (flows["lower"] <= flows["harmonised"]).all()
    assert (flows["harmonised"] <= flows["upper"]).all()
    none = flows[flows["sides"] == "none"]
    both = flows[flows["sides"] == "both"]
    assert len(none) >= len(YEARS)  # the simulated corridor reported by neither side
    width = np.log(flows["upper"] / flows["lower"])
    assert width[none.index].median() > 2 * width[both.index].median()
    assert none["provenance"].str.contains("no side reported").all()
    assert laplace.level == 0.90
    assert laplace.sampler["inference"] == "laplace"


def test_reported_values_kept_and_reference_stated(laplace, simulated) -> None:  # type: ignore[no-untyped-def]
    table, _ = simulated
    merged = table.data.merge(laplace.flows, on=["origin", "destination", "year", "sex", "age"],
                              suffixes=("", "_rec"))  # fmt: skip
    assert np.allclose(merged["immigration"], merged["immigration_rec"], equal_nan=True)
    assert "reference SWE" in laplace.identification
    p = laplace.parameters
    und = p[p["parameter"] == "undercount"]
    # The reference's immigration has no undercount term; everyone else's has a posterior.
    assert not ((und["country"] == "SWE") & (und["side"] == "immigration")).any()
    assert ((und["median"] > 0) & (und["median"] < 1)).all()
    assert set(p.loc[p["parameter"] == "accuracy_sd", "side"]) == {"high", "medium", "low"}
    f = laplace.factors
    assert f.loc[(f["country"] == "SWE") & (f["side"] == "immigration"), "status"].eq(
        "reference").all()


def test_html_figure_and_exchange_companion_table(laplace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from migdata.exchange import Bundle
    from migdata.mirror import interval_plot

    html = laplace._repr_html_()
    assert "identification" in html and "R-hat" in html and "by neither" in html
    assert "bayes" in repr(laplace)
    fig = interval_plot(laplace, max_panels=4)
    assert len([a for a in fig.axes if a.get_visible()]) == 4
    table = laplace.interval_table()
    assert (table["lower_bound"] <= table["upper_bound"]).all()
    assert table["conf_level"].eq(0.90).all()
    from migdata.harmonised import empty_harmonised

    empty = pd.DataFrame()
    bundle = Bundle(empty_harmonised(), empty, empty, empty, empty, intervals=table)
    bundle.write(tmp_path)
    back = pd.read_csv(tmp_path / "intervals.csv")
    assert len(back) == len(table)


def test_laplace_intervals_cover_most_true_flows(laplace, simulated) -> None:  # type: ignore[no-untyped-def]
    """A loose check of the approximation (the calibration test below is on NUTS)."""
    _, truth = simulated
    m = laplace.flows.merge(truth[["origin", "destination", "year", "true_flow"]])
    inside = (m["true_flow"] >= m["lower"]) & (m["true_flow"] <= m["upper"])
    assert inside.mean() > 0.6
    assert any("Laplace approximation" in n and "narrower" in n for n in laplace.notes)


def test_questionnaire_sub_scores_set_the_undercount_priors(simulated) -> None:
    table, _ = simulated
    quality = pd.DataFrame({"country": ["FI", "NO"], "u_E": [0.0, 1.0], "class_I": ["high", None]})
    rec = reconcile(table, "bayes", reference="SE", inference="laplace", quality=quality,
                    draws=100)  # fmt: skip
    p = rec.parameters.set_index(["country", "side"])
    assert "sub-score 0.00" in p.loc[("FIN", "emigration"), "prior"]
    assert "mean 0.726" in p.loc[("FIN", "emigration"), "prior"]  # low-class emigration prior
    assert "mean 0.455" in p.loc[("NOR", "emigration"), "prior"]  # sub-score 1 = high class
    assert "mean 0.681" in p.loc[("FIN", "immigration"), "prior"]  # class_I high


def test_without_reference_the_priors_identify(simulated) -> None:
    table, _ = simulated
    rec = reconcile(table, "bayes", inference="laplace", draws=100)
    assert "priors only" in rec.identification
    und = rec.parameters[rec.parameters["parameter"] == "undercount"]
    assert ((und["country"] == "SWE") & (und["side"] == "immigration")).any()


def test_select_restricts_countries_and_years(simulated) -> None:
    table, _ = simulated
    sub = table.select(origin=["SWE", "FIN", "NOR"], destination=["SWE", "FIN", "NOR"],
                       year=YEARS[:3])  # fmt: skip
    rec = reconcile(sub, "bayes", reference="SE", inference="laplace", draws=100)
    assert len(rec.flows) == 3 * 2 * 3
    assert set(rec.flows["year"]) == set(YEARS[:3])


def test_errors_name_what_is_wrong(simulated, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    table, _ = simulated
    with pytest.raises(ConfigurationError, match="inference"):
        reconcile(table, "bayes", inference="gibbs")
    with pytest.raises(ConfigurationError, match="draws"):
        reconcile(table, "bayes", draws=2)
    only_emi = MirrorTable.from_eurostat(pd.DataFrame({"Year": [2015, 2015],
        "Sending_iso2": ["SE", "FI"], "Receiving_iso2": ["FI", "SE"],
        "Emig": [10, 20], "Immi": [None, None]}))  # fmt: skip
    with pytest.raises(ModelError, match="reference SWE reports no immigration"):
        reconcile(only_emi, "bayes", reference="SE", inference="laplace")
    import sys

    real_import = builtins.__import__

    def no_numpyro(name, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name.startswith("numpyro"):
            raise ImportError(name=name)
        return real_import(name, *args, **kwargs)

    import migdata.mirror

    monkeypatch.delitem(sys.modules, "migdata.mirror._bayes_numpyro", raising=False)
    monkeypatch.delattr(migdata.mirror, "_bayes_numpyro", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_numpyro)
    with pytest.raises(DependencyError, match=r"migdata\[bayes\]"):
        reconcile(table, "bayes", inference="laplace")


def test_covariates_from_the_shared_file(shared_data) -> None:  # type: ignore[no-untyped-def]
    cov = read_covariates(shared_data.path("eurostat_mirror_flows_2010_2019.csv"))
    assert {"pop_origin", "distance", "contiguity", "common_language"} <= set(cov.columns)
    se_fi = cov[(cov["origin"] == "SWE") & (cov["destination"] == "FIN")]
    assert se_fi["contiguity"].eq(1).all() and len(se_fi) == 10


def test_import_stays_light() -> None:
    import subprocess
    import sys

    code = ("import sys, migdata; from migdata.mirror import bayes; "
            "print(any(m.split('.')[0] in ('jax', 'numpyro') for m in sys.modules))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.slow
def test_nuts_calibration_90_percent_intervals_cover_85_to_95_percent() -> None:
    """Simulation-based calibration at a small size: data drawn from the model (seeded),
    NUTS, the share of true flows inside their 90% intervals."""
    frame, truth = _simulate(["SE", "FI", "NO", "DK", "IT", "PL"], list(range(2010, 2018)), seed=2)
    truth = truth.assign(origin=resolve_countries(truth["Sending_iso2"]),
                         destination=resolve_countries(truth["Receiving_iso2"]),
                         year=truth["Year"])  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # short chains: ESS may be low
        rec = reconcile(MirrorTable.from_eurostat(frame), "bayes", reference="SE",
                        quality="table", draws=300, warmup=300, chains=1, seed=0)  # fmt: skip
    m = rec.flows.merge(truth[["origin", "destination", "year", "true_flow"]])
    inside = (m["true_flow"] >= m["lower"]) & (m["true_flow"] <= m["upper"])
    assert len(m) == 240
    assert 0.85 <= inside.mean() <= 0.95, inside.mean()
    assert rec.sampler["divergences"] == 0
    assert {"max_rhat", "min_ess", "divergences", "seconds"} <= set(rec.sampler)


def test_sum_to_zero_basis_is_orthonormal() -> None:
    """Country and year effects come from an orthonormal basis of the zero-sum vectors,
    so their prior equals that of centred iid effects (Q Q' = I - 11'/k)."""
    pytest.importorskip("numpyro")
    from migdata.mirror._bayes_numpyro import _helmert

    for k in (2, 3, 10, 27):
        q = _helmert(k)
        assert np.allclose(q.sum(axis=0), 0.0)
        assert np.allclose(q.T @ q, np.eye(k - 1))
        assert np.allclose(q @ q.T, np.eye(k) - 1.0 / k)
