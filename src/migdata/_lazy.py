"""Names of a package loaded on first use (PEP 562), so importing migdata stays light.

Each package ``__init__`` lists its public names with their defining modules and calls
:func:`attach`; a name is imported the first time it is used and then kept.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def attach(
    package: str,
    exports: Mapping[str, tuple[str, str]],
    public: Iterable[str],
    clashes: Iterable[str] = (),
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``.

    ``exports`` maps a public name to (defining module, attribute). A name that is not an
    export but a submodule (``package.module``) is imported as such. ``clashes`` are names
    that are also submodules (``sources.compliance`` the function and the module): importing
    the submodule later must not replace the function, as with eager imports.
    """
    names = sorted(set(public))
    module = sys.modules[package]

    def __getattr__(name: str) -> Any:
        try:
            source, attribute = exports[name]
        except KeyError:
            try:
                value = importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError:
                raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        else:
            value = getattr(importlib.import_module(source), attribute)
        setattr(module, name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(module)) | set(names))

    protected = frozenset(clashes)
    if protected:

        class _Package(types.ModuleType):
            def __setattr__(self, name: str, value: Any) -> None:
                if name in protected and isinstance(value, types.ModuleType):
                    return
                super().__setattr__(name, value)

        module.__class__ = _Package
    return __getattr__, __dir__
