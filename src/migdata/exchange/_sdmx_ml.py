"""SDMX-ML structure-specific data (2.1 and 3.0): a streaming writer and reader of our own.

Why not the library writer: pysdmx writes the same messages (and is used in the tests and the
benchmark as the cross-check), but it builds one Python string per observation and leaves
``"`` and line breaks unescaped in attribute values (a comment holding a quote makes the file
unreadable). Here every column is escaped once per distinct value with Arrow and the
observations are joined column-wise, as the SDMX-CSV writer does.

Messages: ``dimensionAtObservation="AllDimensions"``, one ``DataSet`` per dataflow, one
``<Obs .../>`` per line with every dimension, the measure and every attribute that is not
empty. The reader also accepts ``Series``/``Obs`` messages (series attributes are copied to
their observations), e.g. Eurostat's SDMX-ML, and refuses DTDs and entities.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from migdata.errors import InputError
from migdata.exchange import _frame, _xml_safety, structures

MESSAGE_NS = {
    "2.1": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message",
    "3.0": "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/message",
}
_BASE = {v: ns.removesuffix("message") for v, ns in MESSAGE_NS.items()}
_URN = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow="
_ESCAPES = (
    ("&", "&amp;"),
    ("<", "&lt;"),
    (">", "&gt;"),
    ('"', "&quot;"),
    ("\n", "&#10;"),
    ("\r", "&#13;"),
    ("\t", "&#9;"),
)
# Characters XML 1.0 cannot hold at all, even escaped.
_NOT_XML = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{FFFE}\x{FFFF}]"


def escape(arr: pa.Array) -> pa.Array:
    """XML attribute escaping of a text array (``&<>"``, line breaks and tabs as references).

    Examples
    --------
    >>> escape(pa.array(['a "b" <c> & d\\ne'])).to_pylist()
    ['a &quot;b&quot; &lt;c&gt; &amp; d&#10;e']
    """
    for raw, ref in _ESCAPES:
        if pc.any(pc.match_substring(arr, raw)).as_py():
            arr = pc.replace_substring(arr, raw, ref)
    return arr


def _check_xml_chars(values: pa.Array, column: str, file: str | None) -> None:
    bad = pc.match_substring_regex(values, _NOT_XML)
    if pc.any(bad).as_py():
        value = values.filter(bad)[0].as_py()
        raise InputError(
            f"the text holds a control character that XML 1.0 cannot carry "
            f"({value!r}); remove it before writing SDMX-ML",
            file=file,
            column=column,
            value=value,
        )


def _pieces(frame: pd.DataFrame, col: str, file: str | None) -> pa.Array:
    """`` COL="value"`` for every row (null where the value is missing: attribute omitted)."""
    if col in _frame.NUMBER_COLUMNS:
        arr = _frame.format_numbers(frame[col])
        dict_arr = pc.dictionary_encode(arr)
    else:
        series = frame[col]
        if isinstance(series.dtype, pd.CategoricalDtype):
            cats = pa.array(list(series.cat.categories), type=pa.large_string())
            codes = series.cat.codes.to_numpy()
            idx = pa.array(codes, mask=codes < 0, type=pa.int32())
            dict_arr = pa.DictionaryArray.from_arrays(idx, cats)
        else:
            dict_arr = pc.dictionary_encode(_frame.text_array(series))
    values = dict_arr.dictionary.cast(pa.large_string())
    values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.large_string()), values)
    _check_xml_chars(values, col, file)
    escaped = escape(values)
    pre = pa.scalar(f' {col}="', pa.large_string())
    post = pa.scalar('"', pa.large_string())
    wrapped = pc.binary_join_element_wise(pre, escaped, post, pa.scalar("", pa.large_string()))
    return wrapped.take(dict_arr.indices)


def _join(parts: list[pa.Array], n: int) -> bytes:
    empty = pa.scalar("", pa.large_string())
    rows = pc.binary_join_element_wise(
        pa.scalar("<Obs", pa.large_string()), *parts, pa.scalar("/>\n", pa.large_string()), empty,
        null_handling="replace", null_replacement="",
    )  # fmt: skip
    if isinstance(rows, pa.ChunkedArray):
        rows = rows.combine_chunks()
    rows = rows.cast(pa.large_string())
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64)[rows.offset : rows.offset + n + 1]
    return rows.buffers()[2].to_pybytes()[int(offsets[0]) : int(offsets[-1])]


def _xml_attr(text: str) -> str:
    for raw, ref in _ESCAPES:
        text = text.replace(raw, ref)
    return text


def _header(flows: list[structures.Dataflow], version: str, digest: str) -> str:
    from migdata.exchange._sdmx_structures import _prepared

    base = _BASE[version]
    ns = "".join(
        f' xmlns:ns{i}="{_URN}{f.agency}:{f.id}({f.version}):ObsLevelDim:AllDimensions"'
        for i, f in enumerate(flows, 1)
    )
    prepared = _prepared().strftime("%Y-%m-%dT%H:%M:%SZ")
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<message:StructureSpecificData xmlns:message="{base}message"'
        f' xmlns:common="{base}common" xmlns:ss="{base}data/structurespecific"'
        f' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"{ns}>\n',
        "<message:Header>\n",
        f"<message:ID>MIGDATA_{digest[:16].upper()}</message:ID>\n",
        "<message:Test>false</message:Test>\n",
        f"<message:Prepared>{prepared}</message:Prepared>\n",
        '<message:Sender id="COMESA"/>\n',
    ]
    for f in flows:
        sid = _structure_id(f)
        urn = f"{_URN}{f.agency}:{f.id}({f.version})"
        if version == "2.1":
            usage = (
                f'<common:StructureUsage><Ref agencyID="{f.agency}" id="{f.id}" '
                f'version="{f.version}"/></common:StructureUsage>'
            )
        else:
            usage = f"<common:StructureUsage>{urn}</common:StructureUsage>"
        out.append(
            f'<message:Structure structureID="{sid}" namespace="{urn}:ObsLevelDim:AllDimensions"'
            f' dimensionAtObservation="AllDimensions">{usage}</message:Structure>\n'
        )
    out.append("</message:Header>\n")
    return "".join(out)


def _structure_id(flow: structures.Dataflow) -> str:
    return f"{flow.agency}_{flow.id}_{flow.version}".replace(".", "_")


def render(frame: pd.DataFrame, version: str = "2.1", file: str | None = None) -> Iterator[bytes]:
    """SDMX frame (``_frame.to_sdmx``, sorted) -> chunks of an SDMX-ML structure-specific message.

    Deterministic: the message id is a hash of the content and ``Prepared`` is fixed
    (``SOURCE_DATE_EPOCH`` when set, else 2000-01-01).
    """
    sid = frame["STRUCTURE_ID"]
    codes, refs = pd.factorize(sid.astype("str"), sort=True)
    flows = [structures.dataflow(str(r)) for r in refs]
    digest = hashlib.sha256()
    digest.update(version.encode())
    for col in frame.columns:
        digest.update(col.encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    yield _header(flows, version, digest.hexdigest()).encode("utf-8")
    for i, flow in enumerate(flows):
        rows = np.flatnonzero(codes == i)
        if len(rows) and rows[-1] - rows[0] + 1 == len(rows):
            part = frame.iloc[rows[0] : rows[-1] + 1]
        else:
            part = frame.iloc[rows]
        columns = [c.id for c in flow.structure.components if c.id in part.columns]
        scope = ' ss:dataScope="DataStructure"' if version == "2.1" else ""
        yield (
            f'<message:DataSet ss:structureRef="{_structure_id(flow)}"'
            f' xsi:type="ns{i + 1}:DataSetType"{scope} action="Information">\n'
        ).encode()
        step = 200_000
        for start in range(0, len(part), step):
            chunk = part.iloc[start : start + step]
            yield _join([_pieces(chunk, c, file) for c in columns], len(chunk))
        yield b"</message:DataSet>\n"
    yield b"</message:StructureSpecificData>\n"


def write(
    table: pd.DataFrame, path: Path | str, *, dataflow: Any = None, version: Any = "2.1"
) -> Path:
    """Write a harmonised table as an SDMX-ML structure-specific data message.

    Parameters
    ----------
    table
        Harmonised table (``measure`` selects the dataflow of each row).
    path
        File to write (``.xml``).
    dataflow
        Restrict to one dataflow; every row must belong to it.
    version
        ``"2.1"`` (default) or ``"3.0"``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> t = pd.DataFrame({"measure": ["IMM"], "ref_area": ["KEN"], "counterpart_area": ["UGA"],
    ...     "counterpart_type": ["CITIZENSHIP"], "sex": ["_T"], "age": ["_T"],
    ...     "time_period": ["2020"], "obs_value": [1520.0], "provenance": ['a "b" & <c>']})
    >>> p = write(t, pathlib.Path(tempfile.mkdtemp()) / "imm.xml")
    >>> obs = [line for line in p.read_text().splitlines() if line.startswith("<Obs")][0]
    >>> obs[obs.index("COMMENT"):]
    'COMMENT="a &quot;b&quot; &amp; &lt;c&gt;" DECIMALS="0"/>'
    >>> read_raw(p).frame.loc[0, "COMMENT"]
    'a "b" & <c>'
    """
    from migdata.exchange._sdmx_structures import version_of

    path = Path(path)
    v = version_of(version)
    frame = _frame.to_sdmx(table, dataflow, file=str(path), categorical=True)
    with path.open("wb") as fh:
        for chunk in render(frame, v, str(path)):
            fh.write(chunk)
    return path


def _local(tag: Any) -> str:
    text = str(tag)
    return text.rpartition("}")[2] if text.startswith("{") else text


def _usage_ref(elem: Any) -> str | None:
    """``AGENCY:ID(VERSION)`` of a header ``Structure`` element (2.1 Ref or 3.0 URN)."""
    for child in elem.iter():
        name = _local(child.tag)
        if name == "Ref" and child.get("id"):
            return f"{child.get('agencyID')}:{child.get('id')}({child.get('version', '1.0')})"
        if name in ("StructureUsage", "Structure", "ProvisionAgreement") and child.text:
            text = child.text.strip()
            if "=" in text:
                return text.split("=", 1)[1]
    return None


def read_raw(path: Path | str) -> _frame.RawFrame:
    """Read an SDMX-ML structure-specific data message (2.1 or 3.0) into text columns.

    Returns the SDMX frame (``STRUCTURE_ID`` = ``AGENCY:ID(VERSION)`` of each observation's
    dataflow, then one column per component met) with the line of each ``Obs``.

    Messages made only of flat ``<Obs .../>`` elements (as written here) are read column-wise
    with Arrow after lxml has read the header; anything else (series, comments, other
    markup) is read element by element with lxml, which also reports every syntax error.
    """
    fast = _read_flat(Path(path))
    return fast if fast is not None else _read_lxml(path)


def _read_lxml(path: Path | str) -> _frame.RawFrame:
    etree = _xml_safety.lxml_etree()
    file = str(path)
    path = Path(path)
    with path.open("rb") as fh:
        _xml_safety.check_prolog(fh.read(65536), file)
    notes: list[str] = []
    structure_of: dict[str, str] = {}
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    flow_col: list[str] = []
    current_flow: str | None = None
    series: dict[str, str] = {}
    version: str | None = None
    try:
        with path.open("rb") as fh:
            for event, elem in _xml_safety.iterparse(fh, file, events=("start", "end")):
                name = _local(elem.tag)
                if version is None and event == "start":
                    version = _root_version(elem, file)
                    continue
                if event == "start":
                    if name == "DataSet":
                        current_flow = _dataset_flow(elem, structure_of, file)
                    elif name == "Series":
                        series = dict(elem.attrib)
                    continue
                if name == "Obs":
                    rows.append(dict(elem.attrib) if not series else {**series, **elem.attrib})
                    lines.append(elem.sourceline or 0)
                    flow_col.append(current_flow or "")
                    elem.clear(keep_tail=False)
                elif name == "Series":
                    series = {}
                    elem.clear(keep_tail=False)
                elif name == "Structure" and elem.get("structureID"):
                    ref = _usage_ref(elem)
                    if ref is not None:
                        structure_of[elem.get("structureID")] = ref
                elif name == "DataSet":
                    current_flow = None
                    elem.clear(keep_tail=False)
    except etree.XMLSyntaxError as err:
        raise _xml_safety.syntax_error(err, file, "SDMX-ML") from None
    if version is None:
        raise InputError("the file is empty; expected an SDMX-ML message", file=file, row=1)
    keys: dict[str, None] = {}
    for row in rows:
        if len(row) != len(keys) or any(k not in keys for k in row):
            keys.update(dict.fromkeys(row))
    columns = {k: [row.get(k) for row in rows] for k in keys}
    frame = pd.DataFrame({"STRUCTURE_ID": flow_col, **columns}, dtype="str")
    frame = frame.astype("str").replace("", np.nan) if len(frame) else frame
    fmt = f"sdmx-ml-{version}"
    return _frame.RawFrame(frame, np.asarray(lines, dtype=np.int64), notes, format=fmt, file=file)


def _root_version(elem: Any, file: str) -> str:
    ns = _xml_safety.lxml_etree().QName(elem).namespace or ""
    name = _local(elem.tag)
    for v, message in MESSAGE_NS.items():
        if ns == message:
            if name != "StructureSpecificData":
                raise InputError(
                    f"root element <{name}> is not structure-specific data; expected "
                    "<message:StructureSpecificData> (generic data and structure messages "
                    "are not data files here)",
                    file=file,
                    row=elem.sourceline,
                    column=name,
                )
            return v
    raise InputError(
        f"root element <{name}> in namespace {ns or '(none)'!r} is not SDMX-ML; expected "
        f"StructureSpecificData in {MESSAGE_NS['2.1']!r} or {MESSAGE_NS['3.0']!r}",
        file=file,
        row=elem.sourceline,
        column=name,
    )


def _dataset_flow(elem: Any, structure_of: dict[str, str], file: str) -> str:
    ref = None
    for key, value in elem.attrib.items():
        if _local(key) == "structureRef":
            ref = value
    if ref is None or ref not in structure_of:
        raise InputError(
            f"<DataSet> refers to structure {ref!r}, which the header does not declare "
            f"(declared: {', '.join(structure_of) or 'none'})",
            file=file,
            row=elem.sourceline,
            column="DataSet",
        )
    return structure_of[ref]


def is_sdmx_ml(head: bytes) -> bool:
    """True when the first bytes look like an XML document."""
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def is_eurostat(frame: pd.DataFrame) -> bool:
    """True for Eurostat's data (ESTAT dataflows with their lower-case dimension ids)."""
    if not len(frame):
        return False
    first = str(frame["STRUCTURE_ID"].iloc[0])
    return first.upper().startswith("ESTAT:")


_DATASET = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?DataSet[\s>]")
_DATASET_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?DataSet\s*>")
_CHAR_REF = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|amp|lt|gt|quot|apos);")


def _unescape(text: str) -> str:
    """XML attribute value -> text: whitespace normalised as XML requires, references resolved."""
    text = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ").replace("\t", " ")
    if "&" not in text:
        return text

    def ref(m: re.Match[str]) -> str:
        name = m.group(1)
        if name.startswith("#x"):
            return chr(int(name[2:], 16))
        if name.startswith("#"):
            return chr(int(name[1:]))
        return {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}[name]

    return _CHAR_REF.sub(ref, text)


def _header_info(path: Path, file: str) -> tuple[str, dict[str, str]] | None:
    """Version and ``structureID -> dataflow`` of the header, read with lxml up to the data."""
    etree = _xml_safety.lxml_etree()
    version: str | None = None
    structure_of: dict[str, str] = {}
    with path.open("rb") as fh:
        try:
            for event, elem in _xml_safety.iterparse(fh, file, events=("start", "end")):
                name = _local(elem.tag)
                if version is None:
                    version = _root_version(elem, file)
                    continue
                if event == "start" and name == "DataSet":
                    return version, structure_of
                if event == "end" and name == "Structure" and elem.get("structureID"):
                    ref = _usage_ref(elem)
                    if ref is not None:
                        structure_of[str(elem.get("structureID"))] = ref
        except etree.XMLSyntaxError:
            return None
    return None


def _read_flat(path: Path) -> _frame.RawFrame | None:
    """The column-wise reader of flat messages, or None when the file needs the full parser."""
    file = str(path)
    data = path.read_bytes()
    _xml_safety.check_prolog(data[:65536], file)
    if b"<Series" in data or b"<!--" in data or b"<![CDATA[" in data:
        return None
    info = _header_info(path, file)
    if info is None:
        return None
    version, structure_of = info
    starts = _find_tags(data, _DATASET, b"DataSet")
    ends = _find_tags(data, _DATASET_END, b"DataSet")
    if not starts or len(starts) != len(ends):
        return None
    tail = data[data.index(b">", ends[-1]) + 1 :].strip()
    if not re.fullmatch(rb"</(?:[A-Za-z_][\w.-]*:)?StructureSpecificData\s*>", tail):
        return None
    buffer = pa.py_buffer(data)
    pieces_all: list[pa.Array] = []
    flows: list[str] = []
    counts: list[int] = []
    line_parts: list[np.ndarray] = []
    for start, end in zip(starts, ends, strict=True):
        open_end = data.index(b">", start)
        tag = data[start : open_end + 1].decode("utf-8", "replace")
        ref = re.search(r'structureRef="([^"]*)"', tag)
        if ref is None or ref.group(1) not in structure_of or end < open_end:
            return None
        # The body as one Arrow string over the file's bytes (no copy), checked as UTF-8.
        offsets = pa.py_buffer(np.array([open_end + 1, end], dtype=np.int64).tobytes())
        arr = pa.LargeStringArray.from_buffers(1, offsets, buffer)
        try:
            arr.validate(full=True)
        except pa.ArrowInvalid:
            return None  # not UTF-8: the full parser reports where
        pieces = pc.split_pattern(arr, "<Obs").flatten()
        first = pieces[0].as_py()
        if first.strip():
            return None
        pieces = pieces[1:]
        before = data[: open_end + 1].count(b"\n") + 1 + first.count("\n")
        newlines = pc.count_substring(pieces, "\n").to_numpy(zero_copy_only=False)
        line_parts.append(before + np.concatenate([[0], np.cumsum(newlines)[:-1]]).astype(np.int64))
        pieces_all.append(pieces)
        flows.append(structure_of[ref.group(1)])
        counts.append(len(pieces))
    pieces = pa.concat_arrays(pieces_all) if pieces_all else pa.array([], pa.large_string())
    columns = _attribute_columns(pieces)
    if columns is None:
        return None
    sid_codes = np.repeat(np.arange(len(flows)), counts)
    sid = _frame._by_code(flows, sid_codes, pd.RangeIndex(len(sid_codes)))
    frame = pd.DataFrame({"STRUCTURE_ID": sid, **columns})
    lines = np.concatenate(line_parts) if line_parts else np.zeros(0, dtype=np.int64)
    return _frame.RawFrame(frame, lines, [], format=f"sdmx-ml-{version}", file=file)


def _find_tags(data: bytes, pattern: re.Pattern[bytes], word: bytes) -> list[int]:
    """Start offsets of the tags matching ``pattern``, found by a fast search for ``word``."""
    out: list[int] = []
    pos = data.find(word)
    while pos >= 0:
        lt = data.rfind(b"<", max(0, pos - 64), pos)
        if lt >= 0 and pattern.match(data, lt):
            out.append(lt)
        pos = data.find(word, pos + len(word))
    return out


_NAME_TOKEN = re.compile(r"^\s+([A-Za-z_][\w.-]*)=$")


def _attribute_columns(pieces: pa.Array) -> dict[str, pd.Series] | None:
    """Columns of the attributes of flat ``Obs`` elements (the text after each ``<Obs``).

    Each element is split at its quotes: names and values alternate, all in Arrow. None when
    an element is not a plain list of ``name="value"`` pairs (the full parser then reads it).
    """
    n = len(pieces)
    if n == 0:
        return {}
    tokens = pc.split_pattern(pieces, '"')
    lengths = pc.list_value_length(tokens).to_numpy(zero_copy_only=False)
    if (lengths % 2 == 0).any():
        return None
    flat = tokens.flatten()
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    last = flat.take(pa.array(starts + lengths - 1))
    if any(re.fullmatch(r"\s*/>\s*", t) is None for t in pc.unique(last).to_pylist()):
        return None
    if (lengths == lengths[0]).all():
        regular = _regular_columns(flat, n, int(lengths[0]))
        if regular is not None:
            return regular
    position = np.arange(len(flat), dtype=np.int64) - np.repeat(starts, lengths)
    is_last = position == np.repeat(starts + lengths - 1, lengths) - np.repeat(starts, lengths)
    name_pos = np.flatnonzero((position % 2 == 0) & ~is_last)
    value_pos = name_pos + 1
    rows = np.repeat(np.arange(n, dtype=np.int64), (lengths - 1) // 2)
    names = pc.dictionary_encode(flat.take(pa.array(name_pos)))
    values = flat.take(pa.array(value_pos))
    if pc.any(pc.match_substring(values, "<")).as_py():
        return None
    name_codes = names.indices.to_numpy(zero_copy_only=False)
    columns: dict[str, pd.Series] = {}
    for code, token in enumerate(names.dictionary.to_pylist()):
        m = _NAME_TOKEN.match(token)
        if m is None:
            return None
        hit = np.flatnonzero(name_codes == code)
        where = rows[hit]
        if len(where) > 1 and not (np.diff(where) > 0).all():
            return None  # an attribute twice in one element: not well-formed XML
        encoded = pc.dictionary_encode(values.take(pa.array(hit)))
        dictionary = encoded.dictionary.to_pylist()
        full = np.full(n, -1, dtype=np.int64)
        full[where] = encoded.indices.to_numpy(zero_copy_only=False)
        column = _column(dictionary, full, n)
        if column is None:
            return None
        columns[m.group(1)] = column
    return columns


def _column(dictionary: list[str], codes: np.ndarray, n: int) -> pd.Series | None:
    """Text column from distinct escaped values and codes (-1 missing); unescaped once each."""
    if any(("&" in v or "\n" in v or "\t" in v or "\r" in v) for v in dictionary):
        try:
            dictionary = [_unescape(v) for v in dictionary]
        except (KeyError, ValueError):
            return None
    if "" in dictionary:
        empty = dictionary.index("")
        codes = np.where(codes == empty, -1, codes)
    return _frame._by_code(dictionary, codes, pd.RangeIndex(n))


def _regular_columns(flat: pa.Array, n: int, width: int) -> dict[str, pd.Series] | None:
    """Columns when every element has the same attributes in the same order (as written here)."""
    base = np.arange(n, dtype=np.int64) * width
    columns: dict[str, pd.Series] = {}
    for j in range(0, width - 1, 2):
        names = pc.unique(flat.take(pa.array(base + j))).to_pylist()
        if len(names) != 1:
            return None
        m = _NAME_TOKEN.match(names[0])
        if m is None or m.group(1) in columns:
            return None
        values = flat.take(pa.array(base + j + 1))
        if pc.any(pc.match_substring(values, "<")).as_py():
            return None
        encoded = pc.dictionary_encode(values)
        column = _column(
            encoded.dictionary.to_pylist(), encoded.indices.to_numpy(zero_copy_only=False), n
        )
        if column is None:
            return None
        columns[m.group(1)] = column
    return columns
