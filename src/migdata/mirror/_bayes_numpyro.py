"""The NumPyro engine of the Bayesian mirror model (imported only by ``method="bayes"``).

The model is written once (:func:`_model`) and used by both inference routes: NUTS
(:func:`run_nuts`) and a Laplace approximation at the posterior mode (:func:`run_laplace`).
Every array comes prepared by :mod:`migdata.mirror.bayes` (see ``ModelData`` there).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

import numpyro  # isort: skip

# One XLA host device per core (up to 4), so that chains run side by side
# (chain_method="parallel"). XLA reads the flag when JAX first computes: a process that
# already used JAX keeps its devices, and chains then run one after the other.
if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
    numpyro.set_host_device_count(max(1, min(4, len(os.sched_getaffinity(0)))))

import jax  # isort: skip
import jax.numpy as jnp
import numpyro.distributions as dist
from numpyro.diagnostics import summary
from numpyro.distributions import constraints
from numpyro.infer import MCMC, NUTS
from numpyro.infer.util import constrain_fn, potential_energy

jax.config.update("jax_enable_x64", True)


def _compilation_cache() -> None:
    """Keep compiled models between sessions (JAX's persistent cache): the first run on a
    machine compiles (several seconds), later runs of the same table shape load the
    compiled code. ``MIGDATA_JAX_CACHE`` names the folder, ``0`` turns it off; a cache the
    user configured for JAX is left alone."""
    where = os.environ.get("MIGDATA_JAX_CACHE", "")
    if where == "0" or jax.config.values.get("jax_compilation_cache_dir"):
        return
    if not where:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        where = str(Path(base) / "migdata" / "jax")
    try:
        Path(where).mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only home: compile every time
        return
    jax.config.update("jax_compilation_cache_dir", where)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)


_compilation_cache()

# Sites whose posterior is summarised as model parameters (the rest are latent flows).
PARAMETER_SITES = ("undercount_imm", "undercount_emi", "accuracy_sd", "beta", "intercept",
                   "sigma_corridor", "sigma_year", "rho")  # fmt: skip


def _sum_to_zero(name: str, k: int, scale: float) -> Any:
    """k effects that sum to zero with iid N(0, scale) deviations in that subspace: k - 1
    free coordinates mapped by an orthonormal (Helmert) basis of the zero-sum vectors.
    Sampling k values and centring them instead leaves their mean to the prior alone, a
    direction the sampler wanders along with tiny steps (measured: 63 leapfrog steps per
    draw for four countries, every draw at the maximum depth used)."""
    if k < 2:
        return jnp.zeros(k)
    raw = numpyro.sample(name, dist.Normal(0.0, scale).expand([k - 1]))
    return jnp.asarray(_helmert(k)) @ raw


def _helmert(k: int) -> np.ndarray:
    """(k, k - 1) orthonormal basis of the vectors of length k that sum to zero."""
    basis = np.zeros((k, k - 1))
    for j in range(1, k):
        basis[:j, j - 1] = 1.0 / np.sqrt(j * (j + 1))
        basis[j, j - 1] = -j / np.sqrt(j * (j + 1))
    return basis


def _model(d: dict[str, Any]) -> None:
    # Sizes come from array shapes, so one compilation serves every table of the same shape.
    n_c, n_t = d["origin"].shape[0], d["step"].shape[0]
    intercept = numpyro.sample("intercept", dist.Normal(d["mu0"], 3.0))
    mean = intercept + jnp.zeros((n_c, n_t))
    if d["x"].shape[-1]:
        beta = numpyro.sample("beta", dist.Normal(0.0, 1.0).expand([d["x"].shape[-1]]))
        mean = mean + d["x"] @ beta
    n = d["countries"].shape[0]
    # Sum-to-zero country and year effects: the intercept carries the level.
    a = _sum_to_zero("origin_effect", n, 1.0)
    b = _sum_to_zero("destination_effect", n, 1.0)
    mean = mean + a[d["origin"]][:, None] + b[d["destination"]][:, None]
    if n_t > 1:
        mean = mean + _sum_to_zero("year_effect", n_t, 0.5)[None, :]
    # Corridor effect g_c ~ N(0, s_c) (constant over years) + AR(1) deviation e_ct with SD s_y
    # and persistence rho (phi_t = rho^gap between consecutive years), g marginalised: the
    # T-vector of a corridor is N(mean, s_c^2 11' + s_y^2 A(rho)). Written with the AR(1)
    # innovations (no Cholesky, which compiles slowly in XLA).
    s_c = numpyro.sample("sigma_corridor", dist.HalfNormal(1.0))
    s_y = numpyro.sample("sigma_year", dist.HalfNormal(0.5))
    rho = numpyro.sample("rho", dist.Beta(d["rho_a"], d["rho_b"]))
    phi = rho ** d["step"] * d["not_first"]  # (T,): 0 for the first year
    innov = 1.0 - phi**2  # innovation variance of the standardised AR(1)

    def resid(v: Any) -> Any:  # standardised AR(1) innovations of v (..., T)
        prev = jnp.concatenate([jnp.zeros_like(v[..., :1]), v[..., :-1]], axis=-1)
        return (v - phi * prev) / jnp.sqrt(innov)

    ones_r = resid(jnp.ones(n_t))
    # Sherman-Morrison with B = A^-1 / s_y^2: quad = r'Br - s_c^2 (1'Br)^2 / (1 + s_c^2 1'B1).
    one_b_one = jnp.sum(ones_r**2) / s_y**2
    logdet = jnp.sum(jnp.log(innov)) + 2 * n_t * jnp.log(s_y) + jnp.log1p(s_c**2 * one_b_one)
    # Undercounts first: the flows of seen corridors are sampled on the reported scale.
    log_u = {}
    for side, tag in (("imm", "undercount_imm"), ("emi", "undercount_emi")):
        if len(d[f"{side}_beta_a"]):
            u = numpyro.sample(tag, dist.Beta(d[f"{side}_beta_a"], d[f"{side}_beta_b"]))
            log_u[side] = jnp.r_[jnp.log(u), 0.0]  # the last slot: no undercount term
        else:
            log_u[side] = jnp.zeros(1)
    z = jnp.zeros((n_c, n_t))
    if len(d["seen"]):
        # v = log y + h_c, with h_c the precision-weighted log undercount of the corridor's
        # reporters: v is what the reports pin down, nearly free of the undercounts, which
        # removes the ridge (every flow of a reporter moving with its undercount) that
        # made NUTS take long trajectories. A shift by other parameters: Jacobian 1.
        v_seen = numpyro.sample("log_flow_seen", dist.ImproperUniform(
            constraints.real, (), event_shape=(len(d["seen"]), n_t)))  # fmt: skip
        h = (d["seen_w_imm"] * log_u["imm"][d["seen_u_imm"]]
             + d["seen_w_emi"] * log_u["emi"][d["seen_u_emi"]])  # fmt: skip
        z_seen = v_seen - h[:, None]
        r = resid(z_seen - mean[d["seen"]])
        quad = (jnp.sum(r**2, axis=-1) / s_y**2
                - s_c**2 * (r @ ones_r / s_y**2) ** 2 / (1 + s_c**2 * one_b_one))  # fmt: skip
        numpyro.factor("corridor_prior", -0.5 * jnp.sum(quad + logdet + n_t * jnp.log(2 * jnp.pi)))
        z = z.at[d["seen"]].set(z_seen)
    if len(d["unseen"]):
        n_u = len(d["unseen"])
        eps = numpyro.sample("eps_unseen", dist.Normal(0.0, 1.0).expand([n_u, n_t + 1]))
        # e_t = sum_{s<=t} rho^(y_t - y_s) sqrt(innov_s) eps_s: the AR(1) as a triangular map.
        gap = d["year_diff"]  # y_t - y_s, negative above the diagonal
        m = jnp.where(gap >= 0, rho ** jnp.maximum(gap, 0.0), 0.0) * jnp.sqrt(innov)[None, :]
        dev = s_c * eps[:, :1] + s_y * eps[:, 1:] @ m.T
        z = z.at[d["unseen"]].set(mean[d["unseen"]] + dev)
    numpyro.deterministic("log_flow", z)
    flat = z.reshape(-1)
    sd = numpyro.sample("accuracy_sd", dist.LogNormal(jnp.log(d["sd_prior"]), 0.5))
    for side in ("imm", "emi"):
        if not len(d[f"{side}_count"]):
            continue
        log_mu = flat[d[f"{side}_cell"]] + log_u[side][d[f"{side}_u"]] + d[f"{side}_offset"]
        # Negative binomial log-pmf written out (numpyro's compiles several times slower);
        # the terms of phi alone are computed once per accuracy class, not per count.
        phi_k = 1.0 / jnp.expm1(sd**2)
        log_phi_k = jnp.log(phi_k)
        acc = d[f"{side}_acc"]
        phi, log_phi = phi_k[acc], log_phi_k[acc]
        n_obs = d[f"{side}_count"]
        log_phi_mu = jnp.logaddexp(log_phi, log_mu)
        ll = (jax.scipy.special.gammaln(n_obs + phi) - d[f"{side}_lgamma1"]
              + phi * (log_phi - log_phi_mu) + n_obs * (log_mu - log_phi_mu))  # fmt: skip
        ll = jnp.sum(ll) - jnp.sum(jax.scipy.special.gammaln(phi_k) * d[f"{side}_per_class"])
        numpyro.factor(side, ll)


def _to_jax(d: dict[str, Any]) -> dict[str, Any]:
    return {k: jnp.asarray(v) for k, v in d.items() if k not in ("z_init",)}


def _init_values(d: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"intercept": d["mu0"], "sigma_corridor": 1.0, "sigma_year": 0.3,
                           "rho": 0.5, "accuracy_sd": d["sd_prior"]}  # fmt: skip
    log_u = {}
    for side in ("imm", "emi"):
        log_u[side] = np.zeros(1)
        if len(d[f"{side}_beta_a"]):
            a, b = d[f"{side}_beta_a"], d[f"{side}_beta_b"]
            out[f"undercount_{side}"] = a / (a + b)
            log_u[side] = np.r_[np.log(a / (a + b)), 0.0]
    if len(d["seen"]):
        h = (d["seen_w_imm"] * log_u["imm"][d["seen_u_imm"]]
             + d["seen_w_emi"] * log_u["emi"][d["seen_u_emi"]])  # fmt: skip
        out["log_flow_seen"] = d["z_init"][d["seen"]] + h[:, None]
    return out


_SUPPORT = {"sigma_corridor": constraints.positive, "sigma_year": constraints.positive,
            "rho": constraints.unit_interval, "accuracy_sd": constraints.positive,
            "undercount_imm": constraints.unit_interval,
            "undercount_emi": constraints.unit_interval}  # fmt: skip


def _unconstrained_init(d: dict[str, Any]) -> dict[str, Any]:
    """Starting point in unconstrained space: the data-based latent flows, prior centres."""
    n, n_t = d["n_countries"], d["n_years"]
    values = _init_values(d)
    if d["x"].shape[-1]:
        values["beta"] = np.zeros(d["x"].shape[-1])
    if n > 1:
        values["origin_effect"] = np.zeros(n - 1)
        values["destination_effect"] = np.zeros(n - 1)
    if n_t > 1:
        values["year_effect"] = np.zeros(n_t - 1)
    if len(d["unseen"]):
        values["eps_unseen"] = np.zeros((len(d["unseen"]), n_t + 1))
    out = {}
    for k, v in values.items():
        v = np.asarray(v, dtype=float)
        support = _SUPPORT.get(k, constraints.real)
        # The inverse of numpyro's biject_to(support), in numpy (no eager JAX compilation).
        if support is constraints.positive:
            v = np.log(v)
        elif support is constraints.unit_interval:
            v = np.log(v) - np.log1p(-v)
        out[k] = v
    return out


def _ravel(tree: dict[str, Any]) -> tuple[np.ndarray, Any]:
    """numpy ravel_pytree of a dict of arrays; the unravel works on traced arrays too."""
    keys = sorted(tree)
    shapes = [np.shape(tree[k]) for k in keys]
    sizes = [int(np.prod(sh)) for sh in shapes]
    flat = np.concatenate([np.ravel(tree[k]) for k in keys]) if keys else np.zeros(0)
    cuts = np.cumsum([0, *sizes])

    def unravel(x: Any) -> dict[str, Any]:
        lead = x.shape[:-1]
        return {k: x[..., cuts[i]:cuts[i + 1]].reshape((*lead, *shapes[i]))
                for i, k in enumerate(keys)}  # fmt: skip

    return flat, unravel


def _potential_raw(params: dict[str, Any], data: dict[str, Any]) -> Any:
    return potential_energy(_model, (data,), {}, params)


# Compiled once per shape of the data (and reused within a session).
_POTENTIAL = jax.jit(_potential_raw)
_VALUE_AND_GRAD = jax.jit(jax.value_and_grad(_potential_raw))
_CONSTRAIN = jax.jit(jax.vmap(
    lambda p, data: constrain_fn(_model, (data,), {}, p, return_deterministic=True),
    in_axes=(0, None)))  # fmt: skip


def run_nuts(d: dict[str, Any], *, draws: int, warmup: int, chains: int, seed: int,
             target_accept: float = 0.9) -> dict[str, Any]:  # fmt: skip
    """NUTS draws of the model: ``samples`` (chain-grouped arrays) and ``diagnostics``."""
    start = time.perf_counter()
    data = _to_jax(d)
    kernel = NUTS(potential_fn=lambda p: _POTENTIAL(p, data), target_accept_prob=target_accept)
    # Chains side by side on the host devices (one per core), else one after the other.
    method = "parallel" if 1 < chains <= jax.local_device_count() else "sequential"
    mcmc = MCMC(kernel, num_warmup=warmup, num_samples=draws, num_chains=chains,
                chain_method=method, progress_bar=False)  # fmt: skip
    init = _unconstrained_init(d)
    if chains > 1:
        init = {k: np.stack([v] * chains) for k, v in init.items()}
    mcmc.run(jax.random.PRNGKey(seed), init_params=init, extra_fields=("diverging", "num_steps"))
    raw = mcmc.get_samples(group_by_chain=True)
    flat_raw = {k: v.reshape(-1, *v.shape[2:]) for k, v in raw.items()}
    grouped = {k: np.asarray(v).reshape(chains, draws, *v.shape[1:])
               for k, v in _CONSTRAIN(flat_raw, data).items()}  # fmt: skip
    extra = mcmc.get_extra_fields()
    diverging = int(np.asarray(extra["diverging"]).sum())
    sampled = {k: v for k, v in grouped.items() if k != "log_flow"}
    stats = summary(sampled, group_by_chain=True) if chains > 1 or draws > 3 else {}
    rhat = [np.nanmax(s["r_hat"]) for s in stats.values() if np.size(s["r_hat"])]
    ess = [np.nanmin(s["n_eff"]) for s in stats.values() if np.size(s["n_eff"])]
    diagnostics = {
        "inference": "nuts",
        "chains": chains,
        "draws": draws,
        "warmup": warmup,
        "chain_method": method,
        "max_rhat": float(np.nanmax(rhat)) if rhat and chains > 1 else float("nan"),
        "min_ess": float(np.nanmin(ess)) if ess else float("nan"),
        "divergences": diverging,
        "mean_leapfrog_steps": float(np.asarray(extra["num_steps"]).mean()),
        "seconds": time.perf_counter() - start,
    }
    flat = {k: v.reshape(-1, *v.shape[2:]) for k, v in grouped.items()}
    return {"samples": flat, "diagnostics": diagnostics}


def run_laplace(d: dict[str, Any], *, draws: int, seed: int) -> dict[str, Any]:
    """Gaussian approximation at the posterior mode (unconstrained space), then draws."""
    from scipy.optimize import minimize

    start = time.perf_counter()
    data = _to_jax(d)
    x0, unravel = _ravel(_unconstrained_init(d))

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        v, g = _VALUE_AND_GRAD(unravel(np.asarray(x)), data)
        return float(v), _ravel({k: np.asarray(g[k]) for k in g})[0]

    opt = minimize(fun, np.asarray(x0, float), jac=True, method="L-BFGS-B",
                   options={"maxiter": 5000, "gtol": 1e-6})  # fmt: skip
    # Hessian by central differences of the compiled gradient (an XLA Hessian compiles slowly).
    mode = opt.x
    h = 1e-5 * np.maximum(1.0, np.abs(mode))
    hess = np.empty((len(mode), len(mode)))
    for k in range(len(mode)):  # one column per parameter: 2 gradient calls
        e = np.zeros(len(mode))
        e[k] = h[k]
        hess[:, k] = (fun(mode + e)[1] - fun(mode - e)[1]) / (2 * h[k])
    hess = (hess + hess.T) / 2
    try:
        chol = np.linalg.cholesky(hess)
        ok = True
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh(hess)
        chol = v * np.sqrt(np.maximum(w, 1e-8))
        ok = False
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((len(x0), draws))
    # x = mode + H^-1/2 noise: solve L' x = noise with H = L L'.
    from scipy.linalg import solve_triangular

    dev = solve_triangular(chol.T, noise, lower=False) if ok else np.linalg.solve(chol.T, noise)
    xs = np.asarray(mode)[:, None] + dev
    params = unravel(np.ascontiguousarray(xs.T))
    samples = {k: np.asarray(v) for k, v in _CONSTRAIN(params, data).items()}
    diagnostics = {
        "inference": "laplace",
        "chains": 0,
        "draws": draws,
        "warmup": 0,
        "max_rhat": float("nan"),
        "min_ess": float("nan"),
        "divergences": 0,
        "optimiser_converged": bool(opt.success),
        "hessian_positive_definite": ok,
        "seconds": time.perf_counter() - start,
    }
    return {"samples": samples, "diagnostics": diagnostics}
