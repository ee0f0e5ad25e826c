"""Summaries of a bilateral flow table: corridors with their counter-flows, regional in/out/
net totals, and the migration indices of Bell et al. (2002) as R migest computes them
(``sum_bilat``, ``sum_region``, ``index_intensity``, ``index_impact``,
``index_connectivity``, ``index_distance``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from migdata.errors import InputError

__all__ = [
    "bilateral_net",
    "index_connectivity",
    "index_distance",
    "index_impact",
    "index_intensity",
    "region_totals",
]


def _od(flows: Any, orig: str = "orig", dest: str = "dest", flow: str = "flow",
        what: str = "flows") -> pd.DataFrame:  # fmt: skip
    """Square origin x destination table (zero diagonal, sorted labels) from any flow input."""
    from migdata.estimate.flows import FlowsFromStocks

    if isinstance(flows, FlowsFromStocks):
        return flows.matrix()
    if not isinstance(flows, pd.DataFrame):
        raise InputError(f"{what}: expected a DataFrame with columns {orig}, {dest}, {flow}, "
                         f"got {type(flows).__name__}")  # fmt: skip
    if {orig, dest, flow} <= set(flows.columns):
        values = pd.to_numeric(flows[flow], errors="coerce")
        bad = values.isna() | (values < 0)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(f"{what}: expected flows >= 0, got {flows[flow].iloc[i]!r}",
                             row=i, column=flow)  # fmt: skip
        frame = pd.DataFrame({"o": flows[orig].astype(str), "d": flows[dest].astype(str),
                              "f": values.astype(float)})  # fmt: skip
        regions = sorted(set(frame["o"]) | set(frame["d"]))
        m = frame.pivot_table(index="o", columns="d", values="f", aggfunc="sum")
        m = m.reindex(index=regions, columns=regions).fillna(0.0)
    elif flows.shape[0] == flows.shape[1]:
        m = flows.astype(float)
        m.index, m.columns = m.index.astype(str), m.columns.astype(str)
        if np.isnan(m.to_numpy()).any() or (m.to_numpy() < 0).any():
            raise InputError(f"{what}: expected a square table of flows >= 0 without gaps")
    else:
        raise InputError(f"{what}: expected columns {orig}, {dest}, {flow} or a square "
                         f"origin x destination table; got {list(flows.columns)}")  # fmt: skip
    out = m.to_numpy(copy=True)
    np.fill_diagonal(out, 0.0)
    labels = [str(x) for x in m.index]
    return pd.DataFrame(out, index=labels, columns=labels).rename_axis(index="orig", columns="dest")


def _population(population: Any, regions: list[str], pop_col: str) -> np.ndarray:
    if isinstance(population, pd.DataFrame):
        if not {"region", pop_col} <= set(population.columns):
            raise InputError(f"population: expected columns region and {pop_col}, got "
                             f"{list(population.columns)}")  # fmt: skip
        population = pd.Series(population[pop_col].to_numpy(),
                               index=population["region"].astype(str))  # fmt: skip
    if not isinstance(population, pd.Series):
        raise InputError("population: expected a DataFrame (region, pop) or a Series by region")
    missing = sorted(set(regions) - set(population.index.astype(str)))
    if missing:
        raise InputError(f"population: no population for regions {missing}", column=pop_col)
    p = pd.to_numeric(population.set_axis(population.index.astype(str)).reindex(regions),
                      errors="coerce").to_numpy(dtype=float)  # fmt: skip
    if np.isnan(p).any() or (p <= 0).any():
        raise InputError("population: expected a population > 0 for every region",
                         column=pop_col)  # fmt: skip
    return p


def _long(values: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame({"measure": list(values), "value": list(values.values())})


def bilateral_net(flows: Any, *, orig: str = "orig", dest: str = "dest",
                  flow: str = "flow") -> pd.DataFrame:  # fmt: skip
    """Each corridor with its counter-flow, net flow and interchange (migest ``sum_bilat``).

    Parameters
    ----------
    flows
        A flow table (columns ``orig``, ``dest``, ``flow`` or the names given), a square
        origin x destination table, or a :class:`~migdata.estimate.FlowsFromStocks`.
    orig, dest, flow
        Column names.

    Returns
    -------
    DataFrame
        ``orig``, ``dest``, ``corridor`` ("A -> B"), ``pair`` ("A - B", labels sorted),
        ``flow``, ``counter_flow``, ``net_flow`` (flow - counter-flow) and ``interchange``
        (flow + counter-flow), one row per ordered pair of distinct regions.

    Examples
    --------
    >>> f = pd.DataFrame({"orig": ["A", "B"], "dest": ["B", "A"], "flow": [100.0, 30.0]})
    >>> bilateral_net(f)[["corridor", "pair", "net_flow", "interchange"]]
      corridor   pair  net_flow  interchange
    0   A -> B  A - B      70.0        130.0
    1   B -> A  A - B     -70.0        130.0
    """
    m = _od(flows, orig, dest, flow)
    names = np.asarray(m.index, dtype=object)
    o, d = np.nonzero(~np.eye(len(names), dtype=bool))
    x = m.to_numpy()
    lo = np.where(names[o] < names[d], names[o], names[d])
    hi = np.where(names[o] < names[d], names[d], names[o])
    return pd.DataFrame({
        "orig": names[o], "dest": names[d],
        "corridor": names[o] + " -> " + names[d], "pair": lo + " - " + hi,
        "flow": x[o, d], "counter_flow": x[d, o],
        "net_flow": x[o, d] - x[d, o], "interchange": x[o, d] + x[d, o],
    })  # fmt: skip


def region_totals(flows: Any, *, orig: str = "orig", dest: str = "dest",
                  flow: str = "flow") -> pd.DataFrame:  # fmt: skip
    """In-, out- and net migration and turnover of each region (migest ``sum_region``).

    Examples
    --------
    >>> f = pd.DataFrame({"orig": ["A", "B", "A"], "dest": ["B", "A", "C"],
    ...                   "flow": [100.0, 30.0, 5.0]})
    >>> region_totals(f)
      region  inflow  outflow    net  turnover
    0      A    30.0    105.0  -75.0     135.0
    1      B   100.0     30.0   70.0     130.0
    2      C     5.0      0.0    5.0       5.0
    """
    m = _od(flows, orig, dest, flow).to_numpy()
    inflow, outflow = m.sum(axis=0), m.sum(axis=1)
    return pd.DataFrame({
        "region": list(_od(flows, orig, dest, flow).index), "inflow": inflow,
        "outflow": outflow, "net": inflow - outflow, "turnover": inflow + outflow,
    })  # fmt: skip


def index_intensity(flows: Any, population: Any, *, pop_col: str = "pop") -> pd.DataFrame:
    r"""Migration intensity (migest ``index_intensity``; Bell et al. 2002, Courgeau 1973).

    ``cmp`` is the crude migration probability :math:`100\,M/P` (all moves between distinct
    regions over the total population); ``courgeau_k`` is :math:`\mathrm{cmp}/\log(n^2)`
    with :math:`n` regions.

    Parameters
    ----------
    flows
        Flow table (see :func:`bilateral_net`).
    population
        DataFrame with ``region`` and ``pop_col``, or a Series indexed by region: the
        population at risk (e.g. at the start of the period), every region of the flows.

    Examples
    --------
    >>> f = pd.DataFrame({"orig": ["A", "B"], "dest": ["B", "A"], "flow": [30.0, 10.0]})
    >>> index_intensity(f, pd.Series({"A": 600.0, "B": 400.0})).round(4)
          measure   value
    0         cmp  4.0000
    1  courgeau_k  2.8854
    """
    m = _od(flows)
    p = _population(population, list(m.index), pop_col)
    cmp = 100 * m.to_numpy().sum() / p.sum()
    return _long({"cmp": cmp, "courgeau_k": cmp / np.log(len(p) ** 2)})


def index_impact(flows: Any, population: Any, *, pop_col: str = "pop") -> pd.DataFrame:
    r"""Migration impact (migest ``index_impact``; Bell et al. 2002; UN DESA 1983).

    ``effectiveness`` :math:`100 \sum_r |N_r| / \sum_r T_r`; ``anmr`` (aggregate net
    migration rate) :math:`100 \cdot \tfrac12 \sum_r |N_r| / P`; ``preference``
    :math:`\sum_{ij} M_{ij} / (M\,p_i p_j)`; ``velocity``
    :math:`\sum_{ij} M_{ij}\,P / (P_i P_j)`, with net migration :math:`N`, turnover
    :math:`T`, populations :math:`P_i` and shares :math:`p_i = P_i / P`.

    Examples
    --------
    >>> f = pd.DataFrame({"orig": ["A", "B"], "dest": ["B", "A"], "flow": [30.0, 10.0]})
    >>> index_impact(f, pd.Series({"A": 600.0, "B": 400.0})).round(3)
             measure   value
    0  effectiveness  50.000
    1           anmr   2.000
    2     preference   4.167
    3       velocity   0.167
    """
    m = _od(flows)
    x = m.to_numpy()
    p = _population(population, list(m.index), pop_col)
    net = x.sum(axis=0) - x.sum(axis=1)
    turnover = x.sum(axis=0) + x.sum(axis=1)
    if x.sum() <= 0:
        raise InputError("flows: no migration between regions; the impact indices are undefined")
    share = p / p.sum()
    return _long({
        "effectiveness": 100 * np.abs(net).sum() / turnover.sum(),
        "anmr": 100 * 0.5 * np.abs(net).sum() / p.sum(),
        "preference": float((x / (x.sum() * np.outer(share, share))).sum()),
        "velocity": float((x / np.outer(p, p) * p.sum()).sum()),
    })  # fmt: skip


def _pairwise_abs_sum(values: np.ndarray) -> float:
    """sum_{i, j} |v_i - v_j| over ordered pairs, in O(N log N)."""
    v = np.sort(values)
    k = np.arange(len(v))
    return float(2 * np.sum((2 * k - len(v) + 1) * v))


def _quasi_independence(y: np.ndarray) -> np.ndarray:
    """Poisson fit of ``flow ~ orig + dest`` on the off-diagonal cells (IPF to the margins)."""
    from migdata.mirror.ipf import ipf

    n = len(y)
    off = ~np.eye(n, dtype=bool)
    res = ipf(off.astype(float), y.sum(axis=1), y.sum(axis=0), structural_zeros=~off,
              tol=1e-12, max_iter=10000)  # fmt: skip
    return res.table.to_numpy()


def index_connectivity(flows: Any, *, gini_corrected: bool = True) -> pd.DataFrame:
    r"""Migration connectivity and spatial focusing (migest ``index_connectivity``).

    Over the :math:`N = n(n-1)` flows between distinct regions, with total :math:`M`:

    * ``connectivity``: share of non-zero flows;
    * ``inequality_equal``: :math:`\tfrac12 \sum |m_{ij}/M - 1/N|`;
    * ``inequality_sim``: :math:`\tfrac12 \sum |m_{ij}/M - e_{ij}/E|` with :math:`e` the
      quasi-independence fit (Poisson ``round(flow) ~ orig + dest``, fitted by IPF);
    * ``gini_total``: :math:`\sum_{ij}\sum_{kl} |m_{ij} - m_{kl}| / (2(N-1)\,M)` (Bell's
      corrected denominator; ``gini_corrected=False`` uses :math:`2N` as Plane and
      Mulligan 1997);
    * ``cv``: coefficient of variation :math:`s/\bar m` of the flows (sample standard
      deviation; migest's formula differs, see the concepts page).

    Examples
    --------
    >>> m = pd.DataFrame([[0, 10, 10], [20, 0, 20], [30, 30, 0]], index=list("ABC"),
    ...                  columns=list("ABC"))
    >>> index_connectivity(m).round(4)
                measure   value
    0      connectivity  1.0000
    1  inequality_equal  0.1667
    2    inequality_sim  0.0000
    3        gini_total  0.2667
    4                cv  0.4472
    """
    m = _od(flows).to_numpy()
    n = len(m)
    off = ~np.eye(n, dtype=bool)
    values = m[off]
    total = values.sum()
    if n < 2 or total <= 0:
        raise InputError("flows: no migration between regions; the indices are undefined")
    fitted = _quasi_independence(np.round(m))[off]
    sim = 0.5 * np.abs(values / total - fitted / fitted.sum()).sum() if fitted.sum() > 0 else 0.0
    big_n = len(values)
    denominator = 2 * (big_n - 1) if gini_corrected else 2 * big_n
    return _long({
        "connectivity": float((values > 0).mean()),
        "inequality_equal": float(0.5 * np.abs(values / total - 1 / big_n).sum()),
        "inequality_sim": float(sim),
        "gini_total": _pairwise_abs_sum(values) / (denominator * total),
        "cv": float(values.std(ddof=1) / values.mean()) if big_n > 1 else 0.0,
    })  # fmt: skip


def _weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    order = np.argsort(x, kind="stable")
    cum = np.cumsum(w[order])
    return float(x[order][np.searchsorted(cum, cum[-1] / 2)])


def index_distance(flows: Any, distance: Any, *, dist_col: str = "dist") -> pd.DataFrame:
    r"""Migration distance (migest ``index_distance``; Bell et al. 2002).

    ``mean`` and ``median``: the flow-weighted mean and (lower) median distance of the moves;
    ``decay``: :math:`\beta` of the Poisson model
    :math:`\log \mu_{ij} = a_i + c_j + \beta \log d_{ij}` on the rounded off-diagonal flows,
    by maximum likelihood (IPF for :math:`a, c` inside a root search for :math:`\beta`);
    NaN when the distances cannot identify it (all equal).

    Parameters
    ----------
    flows
        Flow table (see :func:`bilateral_net`).
    distance
        Distances between the same regions: ``orig``, ``dest`` and ``dist_col``, or a
        square table; every off-diagonal distance > 0.

    Examples
    --------
    >>> d = pd.DataFrame([[0, 1, 2], [1, 0, 1], [2, 1, 0]], index=list("ABC"),
    ...                  columns=list("ABC"))
    >>> m = pd.DataFrame([[0, 40, 10], [40, 0, 40], [10, 40, 0]], index=list("ABC"),
    ...                  columns=list("ABC"))
    >>> index_distance(m, d).round(3)
      measure  value
    0    mean  1.111
    1  median  1.000
    2   decay -2.000
    """
    from scipy.optimize import brentq

    m = _od(flows)
    regions = list(m.index)
    dist = _od(distance, flow=dist_col, what="distance")
    if sorted(dist.index) != regions:
        raise InputError(f"distance: expected the regions of the flows {regions}, got "
                         f"{sorted(dist.index)}")  # fmt: skip
    dist = dist.reindex(index=regions, columns=regions).to_numpy()
    off = ~np.eye(len(regions), dtype=bool)
    if (dist[off] <= 0).any():
        raise InputError("distance: expected a distance > 0 between every two regions",
                         column=dist_col)  # fmt: skip
    x = m.to_numpy()
    if x[off].sum() <= 0:
        raise InputError("flows: no migration between regions; the indices are undefined")
    y = np.round(x)
    logd = np.where(off, np.log(np.where(off, dist, 1.0)), 0.0)
    observed = float((y * logd).sum())

    def score(beta: float) -> float:
        from migdata.mirror.ipf import ipf

        seed = np.where(off, np.exp(beta * (logd - logd[off].mean())), 0.0)
        mu = ipf(seed, y.sum(axis=1), y.sum(axis=0), structural_zeros=~off, tol=1e-12,
                 max_iter=10000).table.to_numpy()  # fmt: skip
        return observed - float((mu * logd).sum())

    decay = np.nan
    if np.ptp(logd[off]) > 0 and y[off].sum() > 0:
        lo, hi = -1.0, 1.0
        for _ in range(8):
            if score(lo) * score(hi) < 0:
                decay = float(brentq(score, lo, hi, xtol=1e-10))
                break
            lo, hi = lo * 2, hi * 2
    return _long({
        "mean": float(np.average(dist[off], weights=x[off])),
        "median": _weighted_median(dist[off], x[off]),
        "decay": decay,
    })  # fmt: skip
