"""Two directives that keep the documentation in step with the code.

``.. migdata-help:: exchange validate`` prints the real ``--help`` text of a ``migdata``
command (from ``migdata.cli.build_parser()``, the parser the console script uses), and
``.. migdata-flat-api::`` lists every name of ``migdata.__all__`` with the subpackage that
documents it, so neither page can drift from the installed package. A cross-reference to a
flat name (``:func:`migdata.harmonise```) resolves to the entry of the subpackage that
documents it.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import os
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

# The subpackages api.rst documents, in the order a reader meets them; a flat name links to
# the first of these whose __all__ holds the same object.
DOCUMENTED = (
    "migdata.errors",
    "migdata.countries",
    "migdata.standards",
    "migdata.sources",
    "migdata.questionnaire",
    "migdata.quality",
    "migdata.mirror",
    "migdata.estimate",
    "migdata.exchange",
    "migdata.metadata",
    "migdata.project",
)

# argparse wraps help text to the terminal width; fix it so the pages do not depend on the
# machine that builds them.
HELP_COLUMNS = "80"


class MigdataHelp(SphinxDirective):
    """The ``--help`` output of one ``migdata`` (sub-)command as a console block."""

    required_arguments = 0
    optional_arguments = 3

    def run(self) -> list[nodes.Node]:
        try:
            from migdata.cli import build_parser
        except ImportError as err:  # a broken package: one clear warning, not a crash
            raise self.error(f"cannot import migdata.cli: {err}") from err

        words = list(self.arguments)
        out = io.StringIO()
        old = os.environ.get("COLUMNS")
        os.environ["COLUMNS"] = HELP_COLUMNS
        try:
            with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
                build_parser().parse_args([*words, "--help"])
        finally:
            if old is None:
                del os.environ["COLUMNS"]
            else:
                os.environ["COLUMNS"] = old
        text = f"$ migdata {' '.join([*words, '--help'])}\n{out.getvalue().rstrip()}"
        block = nodes.literal_block(text, text)
        block["language"] = "text"
        return [block]


def _owner(name: str, obj: Any) -> str | None:
    """The documented subpackage whose ``__all__`` exports ``obj`` (under any name)."""
    for module_name in DOCUMENTED:
        module = importlib.import_module(module_name)
        for public in getattr(module, "__all__", ()):
            if getattr(module, public, None) is obj:
                return f"{module_name}.{public}"
    return None


def _summary(obj: Any) -> str:
    """First paragraph of the docstring, on one line."""
    doc = inspect.getdoc(obj) or ""
    return " ".join(doc.split("\n\n", 1)[0].split())


class MigdataFlatApi(SphinxDirective):
    """A table of ``migdata.__all__``: flat name, documented object, one-line summary."""

    def run(self) -> list[nodes.Node]:
        try:
            import migdata
        except ImportError as err:
            raise self.error(f"cannot import migdata: {err}") from err

        lines = [
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: 24 36 40",
            "",
            "   * - ``migdata.``\\ name",
            "     - documented as",
            "     - summary",
        ]
        for name in migdata.__all__:
            obj = getattr(migdata, name)
            if name == "__version__":
                target, summary = "package metadata", "The installed version, e.g. ``0.1.0``."
            else:
                owner = _owner(name, obj)
                if owner is None:
                    raise self.error(f"migdata.{name} is not exported by any of {DOCUMENTED}")
                target, summary = f":py:obj:`{owner}`", _summary(obj)
            lines += [f"   * - ``{name}``", f"     - {target}", f"     - {summary or ' '}"]
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source="migdata.__all__"), 0, container)
        return list(container.children)


class MigdataLazyMembers(SphinxDirective):
    """``autofunction`` entries for the names of ``__all__`` a package loads lazily.

    A package may load heavy members (matplotlib figures) on first use through a module
    ``__getattr__``; ``automodule :members:`` cannot see them because they are not in
    ``dir(package)``. Only those names get an entry here, so nothing is documented twice if
    the package later makes them visible.
    """

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        try:
            module = importlib.import_module(self.arguments[0])
        except ImportError as err:
            raise self.error(f"cannot import {self.arguments[0]}: {err}") from err
        visible = set(dir(module))
        lazy = [n for n in getattr(module, "__all__", ()) if n not in visible]
        lines: list[str] = []
        for name in lazy:
            obj = getattr(module, name)
            kind = "autoclass" if inspect.isclass(obj) else "autofunction"
            lines += [f".. {kind}:: {self.arguments[0]}.{name}", ""]
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source=self.arguments[0]), 0, container)
        return list(container.children)


def _lookup(path: str) -> Any:
    """The object at a dotted path such as ``migdata.sources.duration.duration_factor``."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


def _resolve_public_name(app: Sphinx, env: Any, node: Any, contnode: Any) -> Any:
    """Resolve a reference to a migdata object by a name other than its documented one.

    ``:func:`migdata.harmonise``` (the flat API), ``migdata.sources.duration.duration_factor``
    (the defining module) and a bare ``:func:`harmonise``` written inside the ``migdata``
    module all link to the single entry of the subpackage that documents the object.
    """
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    context = node.get("py:module") or ""
    if target.startswith("migdata."):
        candidates = [target]
    elif context.startswith("migdata"):
        candidates = [f"{context}.{target}", f"migdata.{target}"]
    else:
        return None
    for path in candidates:
        obj = _lookup(path)
        if obj is None or not (inspect.isclass(obj) or callable(obj)):
            continue
        owner = _owner(path.rsplit(".", 1)[-1], obj)
        if owner is not None and owner != path:
            return env.get_domain("py").resolve_xref(
                env, node["refdoc"], app.builder, node["reftype"], owner, node, contnode
            )
    return None


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directives."""
    app.add_directive("migdata-help", MigdataHelp)
    app.add_directive("migdata-flat-api", MigdataFlatApi)
    app.add_directive("migdata-lazy-members", MigdataLazyMembers)
    app.connect("missing-reference", _resolve_public_name)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
