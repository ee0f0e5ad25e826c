"""Tests of migdata.countries: resolution, normalisation, report, code lists, groups."""

from __future__ import annotations

import gettext

import numpy as np
import pandas as pd
import pycountry
import pytest
from hypothesis import given
from hypothesis import strategies as st

from migdata.countries import (
    CodeList,
    Resolution,
    code_list,
    convert,
    group_membership,
    groups,
    members,
    normalise,
    resolution_report,
    resolve,
    resolve_detailed,
)
from migdata.countries._index import index
from migdata.errors import ConfigurationError, InputError

COUNTRIES = list(pycountry.countries)
AMBIGUOUS = {k for k, v in index().names.items() if isinstance(v, tuple)}


def _translate(lang: str, name: str) -> str:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang]).gettext(name)


# --- the traps of DOMAIN.md section 7 -------------------------------------------------


@pytest.mark.parametrize(
    "value", ["Côte d'Ivoire", "Cote d Ivoire", "Ivory Coast", "Costa do Marfim", "ساحل العاج"]
)
def test_cote_divoire_spellings(value: str) -> None:
    """Every spelling of Côte d'Ivoire in DOMAIN.md resolves to CIV."""
    assert resolve(value) == "CIV"


def test_fuzzy_traps_are_not_fallen_into() -> None:
    """Zaire is not Angola, Inde is India, Congo-Brazzaville is the Republic of the Congo."""
    assert resolve("Zaire") == "ZAR"
    assert resolve("Inde") == "IND"
    assert resolve("Congo-Brazzaville") == "COG"
    assert resolve("Congo-Kinshasa") == "COD"


def test_ambiguous_names_stay_unresolved() -> None:
    """Congo alone, Korea alone and Portuguese Guiné are never guessed."""
    for value in ["Congo", "CONGO", "Korea", "Corée", "Guiné", "الكونغو", "Virgin Islands"]:
        assert resolve(value) is None, value
    report = resolution_report(["Congo", "Congo"])
    assert report.loc[0, "status"] == "ambiguous"
    assert report.loc[0, "cells"] == 2
    assert "(COG)" in report.loc[0, "suggestions"] and "(COD)" in report.loc[0, "suggestions"]


def test_guinea_means_guinea() -> None:
    """Plain "Guinea"/"Guinée" is ISO's Guinea; the other Guineas have their own names."""
    assert resolve(["Guinea", "Guinée", "Guinea-Bissau", "Guiné-Bissau", "Equatorial Guinea"]) == [
        "GIN",
        "GIN",
        "GNB",
        "GNB",
        "GNQ",
    ]


def test_historical_countries_flagged_not_mapped_to_successor() -> None:
    """Historical names resolve to their withdrawn code, flagged, never to a successor."""
    values = [
        "Zaire",
        "Yugoslavia",
        "USSR",
        "Czechoslovakia",
        "Serbia and Montenegro",
        "Netherlands Antilles",
        "ZR",
        "SUN",
    ]
    res = resolve_detailed(values)
    assert res.codes.tolist() == ["ZAR", "YUG", "SUN", "CSK", "SCG", "ANT", "ZAR", "SUN"]
    assert res.historical.all()
    assert set(res.status) == {"historical"}
    zaire = res.report[res.report["code"] == "ZAR"].iloc[0]
    assert "COD" in zaire["note"]


def test_reassigned_codes_belong_to_current_countries() -> None:
    """Codes ISO reassigned (BY, SK, 180, 626) give today's country; CS and 891 are ambiguous."""
    assert resolve(["BY", "SK", 180, "626", "CS", 891]) == ["BLR", "SVK", "COD", "TLS", None, None]


def test_renamed_countries_resolve_to_current_code() -> None:
    """Swaziland, Cape Verde, Burma, Czech Republic and Turkey are aliases of current codes."""
    values = [
        "Swaziland",
        "Cape Verde",
        "Burma",
        "Czech Republic",
        "Turkey",
        "Türkiye",
        "UK",
        "USA",
        "Tanzania",
        "DRC",
        "RDC",
        "Kosovo",
        "Macedonia",
    ]
    assert resolve(values) == [
        "SWZ",
        "CPV",
        "MMR",
        "CZE",
        "TUR",
        "TUR",
        "GBR",
        "USA",
        "TZA",
        "COD",
        "COD",
        "XKX",
        "MKD",
    ]


def test_codes_numbers_and_eurostat() -> None:
    """Alpha-2/3, numeric in every guise, M49 and Eurostat codes resolve."""
    values = [
        "af",
        "AFG",
        4,
        4.0,
        "4",
        "004",
        " 4 ",
        "4.0",
        np.int64(4),
        np.float64(4.0),
        "EL",
        "UK",
        "XK",
        "XKX",
        "NA",
    ]
    expected = ["AFG"] * 10 + ["GRC", "GBR", "XKX", "XKX", "NAM"]
    assert resolve(values) == expected
    assert resolve(404) == resolve("404.0") == resolve(404.0) == "KEN"


def test_word_order_articles_and_arabic_variants() -> None:
    """Word order, articles and Arabic letter variants do not matter."""
    assert resolve("Congo, Democratic Republic of the") == "COD"
    assert resolve("the Democratic Republic of the Congo") == "COD"
    assert resolve("Gambia, The") == "GMB"
    assert resolve("السُّودان") == "SDN"
    assert resolve("الســودان") == "SDN"  # tatweel
    assert resolve("إيران") == resolve("ايران") == "IRN"
    assert resolve("Congo, Dem. Rep.") == "COD"


@pytest.mark.parametrize(
    ("to", "expected"),
    [
        ("alpha2", ["GR", "GB", "CI", "ZR", None]),
        ("alpha3", ["GRC", "GBR", "CIV", "ZAR", None]),
        ("numeric", ["300", "826", "384", "180", None]),
        ("eurostat", ["EL", "UK", "CI", "ZR", None]),
        ("name_en", ["Greece", "United Kingdom", "Côte d'Ivoire", "Zaire, Republic of", None]),
        ("name_fr", ["Grèce", "Royaume-Uni", "Côte d'Ivoire", "Zaïre, République du", None]),
        (CodeList.EUROSTAT, ["EL", "UK", "CI", "ZR", None]),
    ],
)
def test_output_code_lists(to: str, expected: list[str | None]) -> None:
    """Every output code list (string or Enum) writes the expected codes."""
    assert (
        resolve(["Greece", "United Kingdom", "Ivory Coast", "Zaire", "Narnia"], to=to) == expected
    )


def test_unknown_code_list_is_a_configuration_error() -> None:
    """A wrong to= names the allowed code lists."""
    with pytest.raises(ConfigurationError, match="alpha2"):
        resolve("Kenya", to="iso9")


# --- shapes and bad input --------------------------------------------------------------


def test_series_keeps_index_name_and_uses_string_dtype() -> None:
    """A Series comes back with its index and name, string dtype, NA for unresolved."""
    s = pd.Series(["Kenya", None, "Narnia", "KE"], index=[10, 20, 30, 40], name="citizenship")
    out = resolve(s)
    assert out.index.tolist() == [10, 20, 30, 40]
    assert out.name == "citizenship"
    assert out.dtype == "string"
    assert out.isna().tolist() == [False, True, True, False]


def test_empty_inputs() -> None:
    """Empty list, empty Series and all-missing input are handled, not raised."""
    assert resolve([]) == []
    assert len(resolve(pd.Series([], dtype=object))) == 0
    assert resolution_report([]).empty
    assert resolve(None) is None and resolve(float("nan")) is None and resolve("   ") is None
    rep = resolution_report([None, np.nan, pd.NA, "", "  "])
    assert set(rep["status"]) == {"empty"} and rep["cells"].sum() == 5


def test_mixed_types_are_reported_not_raised() -> None:
    """Mixed ints, floats, bools, strings and unhashable cells are reported per value."""
    values = pd.Series([404, "Kenya", 3.5, True, ["KEN"], None, "404.0"], dtype=object)
    res = resolve_detailed(values)
    assert res.codes.tolist()[:2] == ["KEN", "KEN"]
    assert res.codes.tolist()[-1] == "KEN"
    assert res.status.tolist()[2:6] == ["unknown", "unknown", "unknown", "empty"]
    assert res.report["cells"].sum() == len(values)


def test_categorical_and_arrow_string_input() -> None:
    """Categorical and pyarrow-backed string Series resolve like object ones."""
    base = ["Kenya", "Inde", None, "Kenya"]
    for s in (pd.Series(base, dtype="category"), pd.Series(base, dtype="string[pyarrow]")):
        assert resolve(s).tolist() == ["KEN", "IND", pd.NA, "KEN"]


def test_dataframe_input_is_an_input_error() -> None:
    """A DataFrame is refused with a message naming its columns."""
    with pytest.raises(InputError, match="country"):
        resolve(pd.DataFrame({"country": ["Kenya"]}))


def test_unknown_values_get_suggestions_only() -> None:
    """A misspelling is unresolved; close names appear only as suggestions (max three)."""
    rep = resolution_report(["Kenia", "Zimbabwee", "Zimbabwee", "Qwertyland"])
    by_value = rep.set_index("value")
    assert by_value.loc["Zimbabwee", "cells"] == 2
    assert by_value.loc["Zimbabwee", "status"] == "unknown"
    assert pd.isna(by_value.loc["Zimbabwee", "code"])
    assert "Zimbabwe (ZWE)" in by_value.loc["Zimbabwee", "suggestions"]
    assert all(s.count(";") <= 2 for s in rep["suggestions"])
    assert by_value.loc["Qwertyland", "suggestions"] == ""


def test_resolution_object() -> None:
    """Resolution holds per-cell codes, statuses, counts, a summary and HTML."""
    res = resolve_detailed(pd.Series(["Kenya", "Zaire", "Congo", "Narnia", None]))
    assert isinstance(res, Resolution)
    assert res.counts == {"resolved": 1, "historical": 1, "ambiguous": 1, "unknown": 1, "empty": 1}
    assert list(res.unresolved["value"]) == ["Narnia", "Congo"]
    assert "Narnia" in res.summary() and "<table" in res._repr_html_()
    assert res.table().columns.tolist() == ["value", "code", "status", "historical"]


# --- properties ----------------------------------------------------------------------


@given(st.sampled_from(COUNTRIES))
def test_every_code_resolves_to_itself(country: object) -> None:
    """alpha-2, alpha-3 and numeric codes (as text and number) resolve to their country."""
    a3 = country.alpha_3  # type: ignore[attr-defined]
    assert resolve(country.alpha_2) == a3  # type: ignore[attr-defined]
    assert resolve(a3) == a3
    assert resolve(a3.lower()) == a3
    assert resolve(country.numeric) == a3  # type: ignore[attr-defined]
    assert resolve(int(country.numeric)) == a3  # type: ignore[attr-defined]


def test_every_code_resolves_to_itself_exhaustively() -> None:
    """The same, for all 249 countries at once (vectorised path)."""
    a3 = [c.alpha_3 for c in COUNTRIES]
    assert resolve([c.alpha_2 for c in COUNTRIES]) == a3
    assert resolve(a3) == a3
    assert resolve([c.numeric for c in COUNTRIES]) == a3


@pytest.mark.parametrize("lang", ["en", "fr", "pt", "ar", "sw"])
def test_every_name_resolves_to_its_country(lang: str) -> None:
    """Each country's name in English, French, Portuguese, Arabic and Swahili resolves to
    its own code,
    unless the name is a documented ambiguity."""
    names = [c.name if lang == "en" else _translate(lang, c.name) for c in COUNTRIES]
    kept = [
        (n, c.alpha_3)
        for n, c in zip(names, COUNTRIES, strict=True)
        if normalise(n) not in AMBIGUOUS
    ]
    got = resolve([n for n, _ in kept])
    wrong = [(n, a3, g) for (n, a3), g in zip(kept, got, strict=True) if g != a3]
    assert wrong == []
    assert len(kept) >= len(COUNTRIES) - 3  # only Congo / Guiné-style names are excluded


def test_documented_ambiguities_are_few_and_explained() -> None:
    """Names excluded from the name property are ambiguous in the index, not unknown."""
    excluded = {c.name for c in COUNTRIES if normalise(c.name) in AMBIGUOUS}
    assert excluded == {"Congo"}


@given(st.text(max_size=40))
def test_normalisation_is_idempotent(text: str) -> None:
    """normalise(normalise(x)) == normalise(x) for any text."""
    once = normalise(text)
    assert normalise(once) == once


@given(st.sampled_from(COUNTRIES), st.sampled_from(["upper", "lower", "pad", "dots"]))
def test_casing_and_spacing_do_not_matter(country: object, how: str) -> None:
    """Upper/lower case, surrounding spaces and dots give the same result as the ISO name."""
    name = country.name  # type: ignore[attr-defined]
    variant = {
        "upper": name.upper(),
        "lower": name.lower(),
        "pad": f"  {name}\t",
        "dots": name.replace(" ", "."),
    }[how]
    assert resolve(variant) == resolve(name)


messy = st.one_of(
    st.sampled_from(["Kenya", "Inde", "Congo", "Zaire", "XX", "404.0", "", "  ", "Narnia"]),
    st.integers(-5, 1200),
    st.floats(allow_nan=True, allow_infinity=False),
    st.none(),
    st.text(max_size=8),
)


@given(st.lists(messy, max_size=60))
def test_cells_in_equal_resolved_plus_unresolved(values: list[object]) -> None:
    """No cell is dropped: the report's cells add up, per status and in total."""
    res = resolve_detailed(pd.Series(values, dtype=object))
    assert res.report["cells"].sum() == len(values)
    assert sum(res.counts.values()) == len(values)
    resolved = res.counts["resolved"] + res.counts["historical"]
    assert int(res.codes.notna().sum()) == resolved
    assert (
        res.status.value_counts().reindex(list(res.counts)).fillna(0).astype(int).to_dict()
        == res.counts
    )


@given(st.lists(messy, max_size=30))
def test_scalar_list_and_series_agree(values: list[object]) -> None:
    """The vectorised path gives what resolving each value alone gives."""
    one_by_one = [resolve(v) for v in values]
    assert resolve(values) == one_by_one


# --- data files, conversion, groups --------------------------------------------------


def test_alias_table_has_a_source_for_every_alias() -> None:
    """Every alias carries a source note and no alias is shadowed by a code."""
    from migdata._resources import data_path

    aliases = pd.read_csv(
        data_path("countries", "aliases.csv"), comment="#", dtype=str, keep_default_na=False
    )
    assert (aliases["source"].str.len() > 10).all()
    assert aliases["code"].isin(code_list()["alpha3"]).all()
    # an alias that looks like a code must not be one (it would never be reached)
    codes = set(index().codes)
    looks_like_code = aliases["alias"].str.fullmatch(r"[A-Za-z]{2,3}")
    shadowed = [
        a
        for a in aliases.loc[looks_like_code, "alias"]
        if a.upper() in codes and resolve(a) != aliases.set_index("alias").loc[a, "code"]
    ]
    assert shadowed == []


def test_convert_is_strict() -> None:
    """convert maps alpha-3 codes and rejects anything else with the offending value."""
    assert convert(["GRC", None, "XKX"], to="alpha2") == ["GR", None, "XK"]
    s = convert(pd.Series(["KEN"], index=[5], name="c"), to="numeric")
    assert s.tolist() == ["404"] and s.index.tolist() == [5]
    with pytest.raises(InputError, match="'Kenya'"):
        convert(["KEN", "Kenya"], to="alpha2")


def test_code_list_columns() -> None:
    """The code list has one row per country, current and historical, with Kosovo."""
    cl = code_list()
    assert cl.columns.tolist() == [
        "alpha3",
        "alpha2",
        "numeric",
        "eurostat",
        "name_en",
        "name_fr",
        "historical",
    ]
    assert cl["alpha3"].is_unique
    assert {"XKX", "ZAR", "SUN"} <= set(cl["alpha3"])


def test_comesa_membership() -> None:
    """COMESA has 21 members today; 19 in 2015; Tunisia and Somalia from 2018."""
    now = members("COMESA")
    assert len(now) == 21 and {"TUN", "SOM"} <= set(now)
    in_2015 = members("comesa", year=2015)
    assert len(in_2015) == 19 and "TUN" not in in_2015 and "AGO" not in in_2015
    assert "AGO" in members("COMESA", 2006) and "NAM" in members("COMESA", 2003)
    assert in_2015 == sorted(in_2015)


def test_other_groups() -> None:
    """EAC, ECOWAS, IGAD, SADC and the EU follow their joining and leaving years."""
    assert members("EAC", 2023) == ["BDI", "COD", "KEN", "RWA", "SSD", "TZA", "UGA"]
    assert "SOM" in members("EAC", 2024)
    assert "MRT" in members("ECOWAS", 1999) and "MRT" not in members("ECOWAS", 2000)
    assert {"MLI", "BFA", "NER"} <= set(members("ECOWAS", 2024))
    assert not {"MLI", "BFA", "NER"} & set(members("ECOWAS", 2025))
    assert len(members("ECOWAS")) == 12
    assert len(members("SADC")) == 16
    assert "SYC" not in members("SADC", 2005) and "SYC" in members("SADC", 2010)
    assert "ERI" not in members("IGAD", 2009) and "ERI" in members("IGAD", 2015)
    assert len(members("EU", 2015)) == 28 and "HRV" in members("EU27", 2015)
    assert len(members("EU", 2020)) == 27 and "HRV" not in members("EU", 2012)
    assert members("EU27_2020", 1995) == members("EU", 2020)


def test_group_errors_and_listing() -> None:
    """Unknown groups and years before founding are configuration errors; groups() lists."""
    with pytest.raises(ConfigurationError, match="COMESA"):
        members("COMESSA")
    with pytest.raises(ConfigurationError, match="1994"):
        members("COMESA", 1990)
    listing = groups()
    assert {"COMESA", "EAC", "SADC", "ECOWAS", "IGAD", "EU", "EU27_2020"} == set(listing["group"])
    assert (listing["source"].str.len() > 10).all()
    periods = group_membership()
    assert periods["alpha3"].isin(code_list()["alpha3"]).all()
    assert (periods["left"].isna() | (periods["left"] > periods["joined"])).all()


def test_un_m49_parenthesis_style_names() -> None:
    """UN M49/DESA names with a trailing parenthesis meet the ISO comma style."""
    values = [
        "Bolivia (Plurinational State of)",
        "Iran (Islamic Republic of)",
        "Micronesia (Fed. States of)",
        "China, Hong Kong SAR",
        "Republic of Moldova",
    ]
    assert resolve(values) == ["BOL", "IRN", "FSM", "HKG", "MDA"]


def test_m49_regions_are_aggregates_not_countries() -> None:
    """M49 region codes and names (Micronesia 057, Africa 002) never resolve to a country."""
    rep = resolution_report(["Micronesia", "057", 2, "Eastern Africa"]).set_index("normalised")
    assert set(rep["status"]) == {"unknown"}
    assert "aggregate" in rep.loc["micronesia", "note"]
    assert "(FSM)" in rep.loc["micronesia", "suggestions"]
    assert "Africa (002)" in rep.loc["002", "note"]
