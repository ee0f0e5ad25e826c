"""``migdata serve --demo``: a secretariat project with demo accounts and members' files.

The seven synthetic COMESA states of ``migdata demo`` each get an office account (in the
state's questionnaire language) and, but one, an uploaded exchange file of the flows they
report and their returned questionnaire; one file carries an error, so the status page shows
received, valid, rejected and missing at once, and a run gives quality grades per member.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from migdata.portal import auth, db

SECRETARIAT = ("secretariat", "secretariat-demo")
MISSING = "MWI"  # sends nothing: the status page shows a missing member
BROKEN = "COD"  # its first file has a wrong sex code


def accounts() -> list[tuple[str, str, str | None, str]]:
    """(user name, password, country or None, language) of every demo account."""
    from migdata.demo.synthetic import demo_spec

    spec = demo_spec()
    out: list[tuple[str, str, str | None, str]] = [(*SECRETARIAT, None, "en")]
    for code, country in spec.countries.items():
        out.append((code.lower(), f"{code.lower()}-demo-pass", code, country.get("language", "en")))
    return out


def _member_table(flows: Any, country: str) -> Any:
    """What ``country`` reports: immigration by previous residence, emigration by next."""
    import pandas as pd

    parts = []
    for measure, ctype, reporter, partner, column in (
        ("IMM", "PREV_RES", "destination", "origin", "immigration"),
        ("EMI", "NEXT_RES", "origin", "destination", "emigration"),
    ):
        mine = flows[flows[reporter].eq(country) & flows[column].notna()]
        by_sex = pd.DataFrame({
            "measure": measure, "ref_area": country, "counterpart_area": mine[partner],
            "counterpart_type": ctype, "sex": mine["sex"], "age": "_T",
            "time_period": mine["year"].astype(str), "obs_value": mine[column].astype(float),
        })
        keys = ["measure", "ref_area", "counterpart_area", "counterpart_type", "age",
                "time_period"]
        total = by_sex.groupby(keys, as_index=False)["obs_value"].sum().assign(sex="_T")
        parts += [by_sex, total]
    return pd.concat(parts, ignore_index=True)


def seed(portal: Any, questionnaires: bool = True) -> list[tuple[str, str, str | None, str]]:
    """Create the demo accounts and upload the members' files (once); returns the accounts.

    ``questionnaires=False`` leaves out the returned workbooks (they take a few seconds each).
    """
    import migdata
    from migdata.demo.synthetic import reported_flows

    made = accounts()
    existing = {u.username for u in auth.list_users(portal.engine)}
    for name, password, country, lang in made:
        if name not in existing:
            auth.add_user(portal.engine, name, password,
                          role="office" if country else "secretariat",
                          country=country, language=lang)
    with portal.engine.connect() as conn:
        if conn.execute(sa.select(sa.func.count()).select_from(db.submissions)).scalar():
            return made
    users = {u.country: u for u in auth.list_users(portal.engine) if u.country}
    import numpy as np

    flows = reported_flows()
    rng = np.random.default_rng(3)
    with tempfile.TemporaryDirectory() as tmp:
        for country, user in sorted(users.items()):
            if country == MISSING:
                continue
            table = _member_table(flows, country)
            path = migdata.write_exchange(table, Path(tmp) / f"{country}.csv")
            if country == BROKEN:
                lines = path.read_text(encoding="utf-8").splitlines()
                sex = lines[0].split(",").index("SEX")
                cells = lines[1].split(",")
                cells[sex] = "H"  # 'homme': not a code of CL_SEX
                lines[1] = ",".join(cells)
                bad = Path(tmp) / f"{country}-first.csv"
                bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
                portal.store_upload(user, bad, "flows-2015-2019.csv", "exchange",
                                    "premier envoi")
            portal.store_upload(user, path, f"{country.lower()}-flows-2015-2019.csv",
                                "exchange", "")
            if questionnaires:
                workbook = _questionnaire(Path(tmp), country, rng)
                portal.store_upload(user, workbook, workbook.name, "questionnaire", "")
    return made


def _questionnaire(folder: Path, code: str, rng: Any) -> Path:
    """The demo office's returned questionnaire, answered as ``migdata demo`` answers it."""
    from migdata.demo.generate import _PROFILE_KEYS, fill_questionnaire
    from migdata.demo.synthetic import demo_spec
    from migdata.questionnaire import write_template
    from migdata.sources import SourceProfile

    country = demo_spec().countries[code]
    lang = country["language"]
    profiles = [
        SourceProfile.from_dict(
            {"country": code, **{k: v for k, v in s.items() if k in _PROFILE_KEYS}}
        )
        for s in country["sources"]
    ]
    path = folder / f"{code}_{lang}.xlsx"
    write_template(path, lang=lang, country=code, sources=profiles)
    fill_questionnaire(path, country, lang, rng)
    return path
