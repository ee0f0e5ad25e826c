"""Benchmark of SDMX-ML: structure-specific data on 1,000,000 observations, structure messages.

Targets (issue 11): SDMX-ML 2.1 structure-specific write < 10 s and read < 10 s for 1,000,000
observations; the structure messages of all dataflows < 1 s. Baseline measured in the same
run: the pysdmx writer (``write_sdmx``, ``DATA_SDMX_ML_2_1_STR``) and reader on the same
observations. The library takes long at 1 M, so it is timed on a subset (default 100,000
observations) and scaled linearly to 1 M; the printout says so.

Run: ``python benchmarks/bench_sdmx_ml.py [n] [baseline_n]``. Wall and process CPU time are
printed as in ``bench_exchange.py`` (on a shared machine wall time includes waiting).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_exchange import CPU, synthetic, timed

from migdata.exchange import _frame, _sdmx_ml, _sdmx_structures, registry


def _library_write(frame, path: Path) -> None:  # type: ignore[no-untyped-def]
    """The pysdmx writer on the same observations (one dataset per dataflow)."""
    import pysdmx.model as m
    from pysdmx.io import write_sdmx
    from pysdmx.io.format import Format
    from pysdmx.io.pd import PandasDataset

    dsds = {
        o.id: o for o in _sdmx_structures.objects() if type(o).__name__ == "DataStructureDefinition"
    }
    datasets = []
    for ref, part in frame.groupby("STRUCTURE_ID", sort=True):
        flow = _sdmx_ml.structures.dataflow(str(ref))
        dsd = dsds[flow.structure.id]
        schema = m.Schema("dataflow", flow.agency, flow.id, dsd.components, flow.version)
        data = part.drop(columns=["STRUCTURE_ID"]).astype("str").replace("nan", "")
        datasets.append(PandasDataset(structure=schema, data=data))
    text = write_sdmx(
        datasets, Format.DATA_SDMX_ML_2_1_STR, dimension_at_observation="AllDimensions"
    )
    path.write_text(str(text), encoding="utf-8")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    n_base = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    out = Path(tempfile.mkdtemp())
    table = synthetic(n)
    print(f"{n:,} observations (baseline on {n_base:,}, scaled to {n:,})")

    _sdmx_structures._model.cache_clear()
    struct21 = timed(
        "structures SDMX-ML 2.1 (all dataflows, cold)", lambda: _sdmx_structures.render("2.1")
    )
    struct30 = timed(
        "structures SDMX-ML 3.0 (all dataflows)", lambda: _sdmx_structures.render("3.0")
    )
    xsd = timed(
        "XSD validation of the 2.1 structure message",
        lambda: _sdmx_structures.validate_xsd(_sdmx_structures.render("2.1").encode()),
    )

    write = timed("SDMX-ML 2.1 write (ours)", lambda: registry.write(table, out / "x.xml"))
    read_raw = timed(
        "SDMX-ML 2.1 read -> SDMX columns (ours)", lambda: _sdmx_ml.read_raw(out / "x.xml")
    )
    read = timed("SDMX-ML 2.1 read -> harmonised table", lambda: registry.read(out / "x.xml"))
    size = (out / "x.xml").stat().st_size

    subset = table.iloc[:n_base]
    frame = _frame.to_sdmx(subset)
    ours_sub = timed(
        f"SDMX-ML 2.1 write (ours, {n_base:,})", lambda: registry.write(subset, out / "s.xml")
    )
    lib_write = timed(
        f"baseline pysdmx write_sdmx ({n_base:,})", lambda: _library_write(frame, out / "lib.xml")
    )

    def lib_read() -> None:
        from pysdmx.io import get_datasets

        get_datasets(out / "s.xml", out / "structures-sdmx-ml-2.1.xml")

    _sdmx_structures.write(out, "2.1")
    lib_read_t = timed(f"baseline pysdmx get_datasets ({n_base:,})", lib_read)
    ours_read_sub = timed(
        f"SDMX-ML 2.1 read (ours, {n_base:,})", lambda: registry.read(out / "s.xml")
    )
    scale = n / n_base
    print()
    print(f"file size {size / 1e6:.0f} MB")
    write_cpu = CPU["SDMX-ML 2.1 write (ours)"]
    read_cpu = CPU["SDMX-ML 2.1 read -> harmonised table"]
    print(
        f"SDMX-ML write {write:6.2f} s  target < 10 s ({'met' if write < 10 else 'MISSED'}); "
        f"CPU {write_cpu:.2f} s ({'met' if write_cpu < 10 else 'MISSED'} on CPU time); "
        f"pysdmx writer scaled to {n:,}: "
        f"{lib_write * scale:.1f} s (ratio {lib_write / ours_sub:.1f}x slower on the subset)"
    )
    print(
        f"SDMX-ML read  {read:6.2f} s  target < 10 s ({'met' if read < 10 else 'MISSED'}); "
        f"CPU {read_cpu:.2f} s ({'met' if read_cpu < 10 else 'MISSED'} on CPU time); "
        f"raw {read_raw:.2f} s; pysdmx reader scaled to {n:,}: {lib_read_t * scale:.1f} s "
        f"(ratio {lib_read_t / ours_read_sub:.1f}x slower on the subset)"
    )
    print(
        f"structures    {struct21:6.2f} s (2.1, cold), {struct30:.2f} s (3.0); target < 1 s "
        f"({'met' if max(struct21, struct30) < 1 else 'MISSED'}); XSD check {xsd:.2f} s"
    )


if __name__ == "__main__":
    main()
