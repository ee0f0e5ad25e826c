"""Tests of the country names from CLDR, UN official names and writing habits."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migdata.countries import normalise, resolve, resolve_detailed
from migdata.countries._cldr import babel_names, read_names
from migdata.countries._index import index, name_entries

LANGUAGES = ["en", "fr", "pt", "ar", "sw", "am", "so", "es", "de", "it", "ru", "zh", "rw"]


def _entries() -> pd.DataFrame:
    entries = pd.DataFrame(name_entries(), columns=["name", "code", "source"])
    return entries[entries["code"].isin(index().records.index)].reset_index(drop=True)


def test_shipped_cldr_file_matches_babel() -> None:
    """The shipped CLDR names are what Babel gives (regenerate with python -m ...)."""
    version, rows = read_names()
    babel_version, babel_rows = babel_names()
    if version == babel_version:
        assert rows == babel_rows, "run `python -m migdata.countries._cldr` to regenerate"
    else:
        # Another Babel release: CLDR moves slowly; most names must still agree.
        shared = set(rows) & set(babel_rows)
        assert len(shared) >= 0.9 * len(rows), (version, babel_version)


def test_cldr_languages_are_loaded() -> None:
    """The languages the issue names are in the shipped file."""
    langs = {lang for _, _, langs in read_names()[1] for lang in langs.split()}
    assert set(LANGUAGES) <= langs
    assert len(langs) > 300


def test_every_loaded_name_is_right_or_ambiguous() -> None:
    """Every CLDR and UN name resolves to its own country or is reported ambiguous."""
    entries = _entries()
    entries = entries[~entries["source"].isin(["iso"])]
    result = resolve_detailed(entries["name"].tolist())
    got = result.codes.fillna("").to_numpy()
    status = result.status.astype(str).to_numpy()
    wrong = entries[(got != "") & (got != entries["code"].to_numpy())]
    assert wrong.empty, wrong.head(20).to_string()
    assert set(status) <= {"resolved", "historical", "ambiguous", "unknown"}


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("Jamhuri ya Kidemokrasia ya Kongo", "COD"),
        ("ኢትዮጵያ", "ETH"),
        ("Itoobiya", "ETH"),
        ("Etiyopiya", "ETH"),
        ("Südafrika", "ZAF"),
        ("Эфиопия", "ETH"),
        ("埃塞俄比亚", "ETH"),
        ("Sudáfrica", "ZAF"),
        ("République-Unie de Tanzanie", "TZA"),
        ("جمهورية تنزانيا المتحدة", "TZA"),
        ("Estado Plurinacional de Bolivia", "BOL"),
        ("Bolivia (Estado Plurinacional de)", "BOL"),
        ("the Plurinational State of Bolivia", "BOL"),
        ("Объединенная Республика Танзания", "TZA"),
        ("坦桑尼亚联合共和国", "TZA"),
    ],
)
def test_cldr_and_un_names(value: str, code: str) -> None:
    """Names in CLDR languages and UN official names resolve."""
    assert resolve(value) == code


def test_folding_never_merges_two_countries() -> None:
    """Names that fold to one key but are written differently are decided as written."""
    # Maori: Kāta is Chad, Katā Qatar; Hindi Togo/Tonga differ only in vowel signs.
    assert resolve(["Kāta", "Katā", "टोगो", "टोंगा"]) == ["TCD", "QAT", "TGO", "TON"]
    assert normalise("टोगो") != normalise("टोंगा")
    # A key shared by two countries after folding is ambiguous, never one of them.
    entries = _entries()
    # A withdrawn code loses a shared name to the current country on purpose (East Timor).
    entries = entries[~entries["code"].map(index().records["historical"])]
    keys = entries.assign(key=[normalise(n) for n in entries["name"]])
    ix = index()
    for key, codes in keys.groupby("key")["code"]:
        distinct = set(codes)
        if key and len(distinct) > 1:
            target = ix.names.get(key)
            assert target is None or isinstance(target, tuple) or key in ix.notes, key


def test_maldives_is_not_moldova() -> None:
    """The Arabic Maldives resolves to MDV (pycountry's catalogue names Moldova so)."""
    assert resolve("المالديف") == "MDV"
    assert resolve("جزر المالديف") == "MDV"
    assert resolve("مولدوفا") == "MDA"


def test_code_like_name_in_another_language_is_ambiguous() -> None:
    """'Nga' is Vietnamese for Russia and the code of Nigeria: one case means the code."""
    assert resolve("NGA") == "NGA"
    assert resolve("nga") == "NGA"
    assert resolve("Nga") is None
    report = resolve_detailed(["Nga"]).report
    assert report.loc[0, "status"] == "ambiguous"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("Rwandaise", "RWA"),
        ("Burundais", "BDI"),
        ("BURUNDAISES", "BDI"),
        ("Congolaise (RDC)", "COD"),
        ("moçambicano", "MOZ"),
        ("moçambicanas", "MOZ"),
        ("مصري", "EGY"),
        ("المصريين", "EGY"),
        ("مصرية", "EGY"),
        ("Kenyan", "KEN"),
        ("Kenyans", "KEN"),
        ("Sud-Soudanaise", "SSD"),
        ("Soudanais", "SDN"),
        ("Nigérien", "NER"),
        ("Nigériane", "NGA"),
        ("Kenya", "KEN"),  # a country name in a nationality column still resolves
        ("UG", "UGA"),
    ],
)
def test_nationalities_resolve(value: str, code: str) -> None:
    """Nationality words in en/fr/pt/ar (genders, plurals) resolve with kind='nationality'."""
    assert resolve(value, kind="nationality") == code


def test_shared_nationality_words_are_ambiguous() -> None:
    """Congolese, Guinean and Dominican are reported ambiguous with their candidates."""
    result = resolve_detailed(["Congolese", "Guinean", "Dominican", "Kenyan"], kind="nationality")
    assert result.codes.tolist()[:3] == [pd.NA] * 3
    report = result.report.set_index("value")
    assert report.loc["Congolese", "status"] == "ambiguous"
    assert "COD" in report.loc["Congolese", "suggestions"]
    assert "COG" in report.loc["Congolese", "suggestions"]
    assert "DMA" in report.loc["Dominican", "suggestions"]
    assert "DOM" in report.loc["Dominican", "suggestions"]
    assert report.loc["Guinean", "status"] == "ambiguous"
    assert result.counts["resolved"] == 1


def test_nationality_words_are_not_country_names() -> None:
    """Without kind='nationality' a nationality word is not resolved (no guessing)."""
    assert resolve("Rwandaise") is None
    # Arabic Nigerien (fem.) folds like Persian Nigeria: ambiguous, not one of them.
    assert resolve("نيجرية", kind="nationality") is None
    assert resolve("نيجري", kind="nationality") == "NER"


def test_unknown_kind_is_a_configuration_error() -> None:
    """kind= accepts name or nationality only."""
    from migdata.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="nationality"):
        resolve("Kenya", kind="demonym")


def test_harmonise_reads_citizenship_as_nationality_words() -> None:
    """harmonise(country_kind='nationality') resolves 'Ougandaise' and keeps row counts."""
    from migdata.errors import ConfigurationError
    from migdata.sources import SourceProfile
    from migdata.sources.harmonise import harmonise

    profile = SourceProfile(
        source_id="RWA-REG",
        country="RWA",
        source_type="population_register",
        measures=["IMM"],
        threshold_months=6,
        threshold_basis="registration_rule",
    )
    table = pd.DataFrame(
        {
            "year": [2016] * 4,
            "country": ["Ougandaise", "Burundais", "Congolese", "Kenya"],
            "value": [10, 20, 30, 40],
        }
    )
    out = harmonise(table, profile, "UN1998", country_kind="nationality")
    assert len(out.table) + len(out.rejected) == len(table)
    assert set(out.table["counterpart_area"]) == {"UGA", "BDI", "KEN"}
    assert out.rejected["reason"].str.contains("country").all()
    by_name = harmonise(table, profile, "UN1998")
    assert set(by_name.table["counterpart_area"]) == {"KEN"}
    with pytest.raises(ConfigurationError, match="country_kind"):
        harmonise(table, profile, "UN1998", country_kind="adjective")


def test_cli_country_answers_with_candidates_and_suggestions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--country Congo lists the candidates, --country Rwnda suggests Rwanda."""
    from migdata.cli import main

    out = str(tmp_path / "q.xlsx")
    assert main(["questionnaire", "template", "--country", "Congo", "--out", out]) == 2
    err = capsys.readouterr().err
    assert "ambiguous" in err and "(COD)" in err and "(COG)" in err
    assert main(["questionnaire", "template", "--country", "Rwnda", "--out", out]) == 2
    assert "did you mean Rwanda (RWA)" in capsys.readouterr().err


def test_cli_country_outside_the_group_is_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """FRA in a COMESA questionnaire is written, with a warning naming the group."""
    from migdata.cli import main

    out = tmp_path / "q.xlsx"
    args = ["questionnaire", "template", "--country", "FRA", "--group", "COMESA"]
    assert main([*args, "--out", str(out)]) == 0
    assert out.exists()
    err = capsys.readouterr().err
    assert "FRA (France) is not a member of COMESA" in err
    assert (
        main(
            [
                "questionnaire",
                "template",
                "--country",
                "KEN",
                "--group",
                "COMESA",
                "--out",
                str(out),
                "--force",
            ]
        )
        == 0
    )
    assert "warning" not in capsys.readouterr().err


def test_outside_group_and_explain() -> None:
    """The helpers behind the CLI answer in sentences a person reads."""
    from migdata.countries import explain, outside_group

    assert outside_group(["KEN", "RWA"], "EAC") == []
    assert "TUN" in outside_group(["TUN"], "COMESA", year=2015)[0]
    assert explain("Zaire").startswith("'Zaire' is a country that no longer exists")
    assert "ambiguous" in explain("Congolese", kind="nationality")


def test_derived_names_cache_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The name tables read back from the disk cache equal the ones built; 'off' disables."""
    from migdata.countries import _cache
    from migdata.countries._index import _derived_names

    monkeypatch.setenv("MIGDATA_CACHE_DIR", str(tmp_path))
    records = index().records
    built = _derived_names(records)
    assert len(list(tmp_path.glob("country-names-*.json"))) == 1
    assert _derived_names(records) == built
    monkeypatch.setenv("MIGDATA_CACHE_DIR", "off")
    assert _cache.cache_dir() is None
    assert _cache.load("country-names", "x") is None


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("Rép. Dém. du Congo", "COD"),
        ("Congo (Rép. Dém.)", "COD"),
        ("Rep. Dem. Congo", "COD"),
        ("Côte D'ivoire", "CIV"),
        ("COTE D IVOIRE", "CIV"),
        ("Iles Salomon", "SLB"),
        ("Îles Salomon", "SLB"),
        ("St Kitts et Nevis", "KNA"),
        ("Saint-Kitts-et-Nevis", "KNA"),
        ("Féd. de Russie", "RUS"),
        ("Russie (Féd. de)", "RUS"),
        ("Tanzanie (Rép.-Unie de)", "TZA"),
        ("Iran (Rép. islamique d')", "IRN"),
        ("Chine (RP)", "CHN"),
        ("Corée (Rép.)", "KOR"),
        ("Emirats", "ARE"),
        ("Dubaï", "ARE"),
        ("الـسـودان", "SDN"),
        ("السودان", "SDN"),
        ("إثيوبيا", "ETH"),
        ("اثيوبيا", "ETH"),
        ("الإمارات العربيّة المتّحدة", "ARE"),
    ],
)
def test_french_and_arabic_writing_habits(value: str, code: str) -> None:
    """Abbreviations, Îles/Iles, St/Saint, apostrophes, qualifiers, tatweel, hamza forms."""
    assert resolve(value) == code


def test_historical_names_are_flagged() -> None:
    """Zaïre, Union Birmane and Antilles Néerlandaises resolve to ISO 3166-3 codes, flagged."""
    result = resolve_detailed(["Zaïre", "Union Birmane", "Antilles Néerlandaises"])
    assert result.codes.tolist() == ["ZAR", "BUR", "ANT"]
    assert result.historical.all()


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                ["Rwandaise", "Congolese", "Kenyan", "مصرية", "Kenya", "", "Narnian", "NGA"]
            ),
            st.text(max_size=12),
            st.none(),
            st.integers(-5, 999),
        ),
        max_size=30,
    ),
    st.sampled_from(["name", "nationality"]),
)
def test_no_cell_is_dropped(values: list[object], kind: str) -> None:
    """Cells in = resolved + historical + ambiguous + unknown + empty, for both kinds."""
    result = resolve_detailed(values, kind=kind)
    assert sum(result.counts.values()) == len(values)
    assert len(result.codes) == len(values)
    assert int(result.report["cells"].sum()) == len(values)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("R.D.C.", "COD"),
        ("R.C.A.", "CAF"),
        ("E.A.U.", "ARE"),
        ("Rép. Dém. Pop. Lao", "LAO"),
        ("Guinée Equat.", "GNQ"),
        ("Burkina", "BFA"),
        ("انجولا", "AGO"),
        ("الكونغو الديموقراطية", "COD"),
    ],
)
def test_trade_table_abbreviations(value: str, code: str) -> None:
    """Acronyms with points, Pop./Equat. abbreviations and Egyptian Arabic spellings."""
    assert resolve(value) == code
