"""Tests of migdata.mirror.figures on the real 2015 flows."""

from __future__ import annotations

from typing import Any

import pytest
from matplotlib.figure import Figure

from migdata.errors import InputError
from migdata.mirror.figures import cc1_heatmap, factor_plot, flows_plot
from migdata.mirror.indicators import pair_indicators
from migdata.mirror.reconcile import reconcile
from migdata.mirror.table import MirrorTable


@pytest.fixture
def table(shared_data: Any) -> MirrorTable:
    path = shared_data.path("eurostat_mirror_flows_2010_2019.csv")
    return MirrorTable.from_eurostat(path).select(year=[2014, 2015])


def test_heatmap_axes_and_scale(table: MirrorTable) -> None:
    """The heatmap shows the 15 two-sided reporters of 2015 on a scale centred on 0 and
    fitted to the data, with the value in each cell."""
    fig = cc1_heatmap(table, 2015)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert len(labels) == 15 and "ITA" in labels
    norm = ax.images[0].norm
    assert getattr(norm, "vcenter", None) == 0.0 and norm.vmin == -norm.vmax
    values = pair_indicators(table.select(year=2015))
    both = values[values["reported_by"] == "both"]["cc1"].abs().max()
    assert both <= norm.vmax < both + 0.1 + 1e-9
    assert len(ax.texts) > 15 * 2
    assert "CC1" in ax.get_title()


def test_heatmap_needs_year(table: MirrorTable) -> None:
    """With several years the heatmap asks which one."""
    with pytest.raises(InputError, match="year"):
        cc1_heatmap(table)


def test_factor_and_flow_plots(table: MirrorTable) -> None:
    """Factor plot marks the reference; flow plots work by partner and by year."""
    rec = reconcile(table, "log-ls", reference="SE")
    fig = factor_plot(rec, 2015)
    assert isinstance(fig, Figure)
    box = fig.axes[0].get_legend()
    assert box is not None
    legend = [t.get_text() for t in box.get_texts()]
    assert any("reference SWE" in t for t in legend)
    for ax in fig.axes[:2]:  # each panel has readable ticks, however narrow its range
        low, high = ax.get_xlim()
        assert sum(low <= t <= high for t in ax.get_xticks()) >= 2, ax.get_xticks()
    assert isinstance(flows_plot(rec, "Spain", year=2015), Figure)
    fig_y = flows_plot(rec, "IT", side="immigration", by="year")
    assert [t.get_text() for t in fig_y.axes[0].get_xticklabels()] == ["2014", "2015"]
