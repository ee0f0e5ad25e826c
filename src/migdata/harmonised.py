"""The harmonised table: one observation per row with fixed columns, shared by every module.

Countries are ISO 3166-1 alpha-3 inside the library. Special area codes follow SDMX:
``_T`` total (all countries), ``_U`` unknown, ``_O`` other / rest of the world,
``_Z`` not applicable. Sex is ``M``, ``F``, ``_T``, ``_U``; age is ``_T`` (all ages),
``_U`` or an SDMX-style band such as ``Y15T19``, ``Y_LT15``, ``Y_GE65``. ``time_period``
is the reference year as text (``"2015"``); stocks refer to 1 January of that year.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

__all__ = [
    "AGE_PATTERN",
    "COMPLIANCE_CLASSES",
    "COUNTERPART_TYPES",
    "HARMONISED_COLUMNS",
    "MEASURES",
    "OBS_STATUS",
    "SEXES",
    "SPECIAL_AREAS",
    "TARGETS",
    "empty_harmonised",
    "harmonised_schema",
]

MEASURES = {
    "IMM": "immigrants (flow)",
    "EMI": "emigrants (flow)",
    "STK": "resident population on 1 January (stock)",
    "NAB": "nationals of the reporting country living abroad on 1 January (stock)",
    "RP_FIRST": "first residence permits issued (flow)",
    "RP_VALID": "valid residence permits on 31 December, persons (stock)",
    "VISA": "visas issued (flow)",
}
COUNTERPART_TYPES = {
    "CITIZENSHIP": "country of citizenship",
    "BIRTH": "country of birth",
    "PREV_RES": "country of previous usual residence",
    "NEXT_RES": "country of next usual residence",
    "RESIDENCE": "country of residence (nationals abroad)",
    "NONE": "no counterpart breakdown",
}
TARGETS = ("UN1998", "UN2021_12M", "UN2021_6M1D", "EU862")
COMPLIANCE_CLASSES = (
    "MATCH",
    "PROXY",
    "APPROXIMATE",
    "OVER_INCLUSIVE",
    "UNDER_INCLUSIVE",
    "UNDETERMINED",
)
SEXES = ("M", "F", "_T", "_U")
SPECIAL_AREAS = ("_T", "_U", "_O", "_Z")
OBS_STATUS = {
    "A": "normal value",
    "E": "estimated value",
    "P": "provisional value",
    "B": "time series break",
    "M": "missing value",
    "F": "forecast value",
}
AGE_PATTERN = r"^(_T|_U|Y\d{1,3}T\d{1,3}|Y_LT\d{1,3}|Y_GE\d{1,3}|Y\d{1,3})$"

HARMONISED_COLUMNS: dict[str, str] = {
    "measure": "string",
    "ref_area": "string",
    "counterpart_area": "string",
    "counterpart_type": "string",
    "sex": "string",
    "age": "string",
    "time_period": "string",
    "obs_value": "float64",
    "reported_value": "float64",
    "adjustment": "float64",
    "target": "string",
    "compliance": "string",
    "source_id": "string",
    "obs_status": "string",
    "provenance": "string",
}
"""Column names and dtypes of the harmonised table, in order.

``obs_value = reported_value * adjustment``; ``provenance`` says in words where the number
came from (source, rule, factors). Tables may carry extra breakdown columns after these
(permits: ``reason`` (UN admission category) and ``validity`` (3-5, 6-11, 12+ months)).
"""


def empty_harmonised() -> pd.DataFrame:
    """An empty harmonised table with the right columns and dtypes.

    Examples
    --------
    >>> list(empty_harmonised().columns)[:4]
    ['measure', 'ref_area', 'counterpart_area', 'counterpart_type']
    """
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in HARMONISED_COLUMNS.items()})


def harmonised_schema() -> pa.DataFrameSchema:
    """The pandera schema of the harmonised table (columns, dtypes, code lists, key)."""
    return pa.DataFrameSchema(
        {
            "measure": pa.Column("string", pa.Check.isin(list(MEASURES))),
            "ref_area": pa.Column("string", pa.Check.str_matches(r"^[A-Z]{3}$")),
            "counterpart_area": pa.Column("string", pa.Check.str_matches(r"^([A-Z]{3}|_[TUOZ])$")),
            "counterpart_type": pa.Column("string", pa.Check.isin(list(COUNTERPART_TYPES))),
            "sex": pa.Column("string", pa.Check.isin(list(SEXES))),
            "age": pa.Column("string", pa.Check.str_matches(AGE_PATTERN)),
            "time_period": pa.Column("string", pa.Check.str_matches(r"^\d{4}(-\d{2}){0,2}$")),
            "obs_value": pa.Column("float64", pa.Check.ge(0), nullable=True),
            "reported_value": pa.Column("float64", pa.Check.ge(0), nullable=True),
            "adjustment": pa.Column("float64", pa.Check.gt(0), nullable=True),
            "target": pa.Column("string", pa.Check.isin(list(TARGETS)), nullable=True),
            "compliance": pa.Column(
                "string", pa.Check.isin(list(COMPLIANCE_CLASSES)), nullable=True
            ),
            "source_id": pa.Column("string", nullable=True),
            "obs_status": pa.Column("string", pa.Check.isin(list(OBS_STATUS)), nullable=True),
            "provenance": pa.Column("string", nullable=True),
        },
        # Extra columns are allowed (a permit table adds ``reason`` and ``validity``).
        strict=False,
        unique=[
            "measure",
            "ref_area",
            "counterpart_area",
            "counterpart_type",
            "sex",
            "age",
            "time_period",
            "source_id",
        ],
        report_duplicates="exclude_first",
    )
