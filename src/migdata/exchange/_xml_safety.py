"""Safe parsing of SDMX-ML: no DTD, no entities, no network; errors name the file and line.

SDMX-ML never needs a document type declaration, so any ``<!DOCTYPE``/``<!ENTITY`` before the
root element is refused outright (billion laughs, external entities); the parser is also set
not to resolve entities, load DTDs or touch the network.
"""

from __future__ import annotations

import re
from typing import IO, Any

from migdata.errors import DependencyError, InputError

_DECL = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_ROOT = re.compile(rb"<[A-Za-z_]")


def lxml_etree() -> Any:
    """lxml.etree, or a DependencyError saying what to install."""
    try:
        from lxml import etree  # type: ignore[import-untyped]
    except ImportError:
        raise DependencyError(
            "reading SDMX-ML needs lxml; install it with: pip install 'migdata[sdmx]'"
        ) from None
    return etree


def check_prolog(head: bytes, file: str | None) -> None:
    """Refuse a document type declaration before the root element of an XML document."""
    root = _ROOT.search(head)
    prolog = head if root is None else head[: root.start()]
    match = _DECL.search(prolog)
    if match:
        line = prolog[: match.start()].count(b"\n") + 1
        raise InputError(
            f"the XML file declares <!{match.group(1).decode()}>: document type declarations "
            "and entities are refused (SDMX-ML has none; they are used for entity-expansion "
            "and external-entity attacks)",
            file=file,
            row=line,
        )


def parser() -> Any:
    """An lxml parser that resolves no entity, loads no DTD and reads nothing from the network."""
    etree = lxml_etree()
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
        huge_tree=False,
    )  # fmt: skip


def syntax_error(err: Any, file: str | None, what: str = "XML") -> InputError:
    """An lxml syntax error as an InputError with the file and line."""
    line = getattr(err, "lineno", None) or (err.position[0] if hasattr(err, "position") else None)
    msg = getattr(err, "msg", None) or str(err)
    return InputError(f"not well-formed {what} (truncated or damaged?): {msg}", file=file, row=line)


def parse(data: bytes, file: str | None = None) -> Any:
    """Parse a whole XML document safely (bytes)."""
    etree = lxml_etree()
    check_prolog(data[:65536], file)
    try:
        return etree.ElementTree(etree.fromstring(data, parser()))
    except etree.XMLSyntaxError as err:
        raise syntax_error(err, file) from None


def iterparse(source: IO[bytes], file: str | None, **kwargs: Any) -> Any:
    """``lxml.etree.iterparse`` with the safe settings."""
    etree = lxml_etree()
    return etree.iterparse(
        source, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True,
        **kwargs,
    )  # fmt: skip
