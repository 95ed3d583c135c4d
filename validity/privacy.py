"""Privacy: low-FPR TPR intervals, the minimum-evidence rule, membership gates on duplicated tables, canary bounds.

Every simulated audit goes through the functions a run calls: :func:`~audit.privacy._lowfpr.roc_counts` and
:func:`~audit.privacy._lowfpr.low_fpr_point` (what :func:`~audit.privacy._membership.attack_summary` reports at 1%
and 0.1% FPR), :func:`audit.privacy.membership_audit` and :func:`audit.verdict.gates.evaluate_gates` (the membership gate),
and :func:`~audit.privacy._canary.canary_result` (what both canary audits report). The score statistics of the
mechanisms are simulated directly, with known truth: Gaussian and discrete (tied) attack scores, a model without
any membership effect on a table where most feature vectors repeat, and the Gaussian mechanism beside randomized
response (exactly (ε, 0)-DP, the tight case of the (ε, δ) test).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy.stats import norm, poisson

from audit.config import GateSpec
from audit.privacy._canary import canary_result
from audit.privacy._duplicates import duplicate_mask
from audit.privacy._fdp import gdp_epsilon
from audit.privacy._lowfpr import clopper_pearson, low_fpr_point, roc_counts
from audit.privacy._membership import membership_inference
from audit.privacy._membership_audit import membership_audit
from audit.verdict.gates import evaluate_gates
from validity._harness import Check, Row, bound_row, coverage_row, error_row

ALPHA = 0.05
FRACTIONS = (0.05, 0.1, 0.25, 0.5)  # the canary audits' default guess fractions
DELTA = 1e-5


# ----------------------------------------------------------------------------- low-FPR intervals
@dataclass(frozen=True)
class Scores:
    """Member and non-member score distributions with the true TPR at a target FPR.

    ``kind``: "normal" (members N(d, 1), non-members N(0, 1)), "poisson" (integer scores, ties everywhere:
    members Poisson(d), non-members Poisson(base)), or "grid" (normal scores rounded to a 0.5 grid).
    """

    label: str
    kind: str
    d: float
    n_members: int
    n_nonmembers: int
    base: float = 0.0

    def draw(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        if self.kind == "poisson":
            return rng.poisson(self.d, self.n_members).astype(float), rng.poisson(self.base, self.n_nonmembers).astype(float)
        m, n = rng.normal(self.d, 1.0, self.n_members), rng.normal(0.0, 1.0, self.n_nonmembers)
        if self.kind == "grid":
            m, n = np.round(m * 2) / 2, np.round(n * 2) / 2
        return m, n

    def truth(self, target: float) -> float:
        """The best TPR a threshold reaches with a true FPR at most ``target`` (thresholds between atoms included)."""
        if self.kind == "normal":
            return float(norm.sf(norm.isf(target) - self.d))
        if self.kind == "poisson":  # P[S >= t] = sf(t - 1); the smallest admissible integer threshold
            t = next(t for t in range(400) if poisson.sf(t - 1, self.base) <= target)
            return float(poisson.sf(t - 1, self.d))
        grid = np.arange(-20.0, 20.0, 0.5)  # rounded N(., 1): P[S >= g] = P[Z >= g - 0.25]
        t = next(g for g in grid if norm.sf(g - 0.25) <= target)
        return float(norm.sf(t - 0.25 - self.d))


SCORE_CELLS = (
    (Scores("normal d=1, 5,000 / 5,000", "normal", 1.0, 5000, 5000), (0.01,)),
    (Scores("normal d=1, 2,000 / 25,000", "normal", 1.0, 2000, 25000), (0.01, 0.001)),
    (Scores("normal d=0 (no leak, TPR = FPR), 5,000 / 5,000", "normal", 0.0, 5000, 5000), (0.01,)),
    (Scores("normal d=4.5 (TPR near 0.99), 5,000 / 5,000", "normal", 4.5, 5000, 5000), (0.01,)),
    (Scores("normal d=3, 20,000 / 2,000", "normal", 3.0, 20000, 2000), (0.01,)),
    (Scores("integer scores (ties), Poisson 28 vs 20, 5,000 / 5,000", "poisson", 28.0, 5000, 5000, base=20.0), (0.01,)),
    (Scores("0.5-grid scores (ties), d=1, 1,000 / 30,000", "grid", 1.0, 1000, 30000), (0.01, 0.001)),
)


def _lowfpr_coverage(*, quick: bool, seed: int) -> list[Row]:
    reps = 150 if quick else 1000
    rows = []
    for ci, (cell, targets) in enumerate(SCORE_CELLS):
        rng = np.random.default_rng([seed, 501, ci])
        hits = dict.fromkeys(targets, 0)
        fixed = dict.fromkeys(targets, 0)
        shown = dict.fromkeys(targets, 0)
        truths = {t: cell.truth(t) for t in targets}
        for _ in range(reps):
            m, n = cell.draw(rng)
            tp, fp = roc_counts(m, n)
            for t in targets:
                p = low_fpr_point(tp, fp, n_members=len(m), n_nonmembers=len(n), target=t)
                if p["tpr"] is None:
                    continue
                shown[t] += 1
                hits[t] += p["tpr_ci"][0] <= truths[t] <= p["tpr_ci"][1]
                lo, hi = clopper_pearson(p["true_positives"], len(m))
                fixed[t] += lo <= truths[t] <= hi
        for t in targets:
            rows.append(coverage_row("lowfpr_tpr_coverage", {"scores": cell.label, "FPR": f"{t:.1%}"},
                                     hits=hits[t], reps=shown[t], quick=quick,
                                     detail=f"true TPR {truths[t]:.4f}; reported in {shown[t]}/{reps}; fixed-threshold "
                                            f"Clopper–Pearson (before): {fixed[t] / max(shown[t], 1):.1%}"))
    return rows


# ----------------------------------------------------------------------------- minimum evidence on ties
def _tied_block(rng: np.random.Generator, n: int, shift: float) -> np.ndarray:
    """0.3% of scores far above, a tied block of 4.7% at one value, the rest below it."""
    u = rng.random(n)
    return np.where(u < 0.003, 10.0 + shift + rng.normal(size=n),
                    np.where(u < 0.05, 3.0, np.minimum(rng.normal(shift, 1.0, n), 2.9)))


def _min_evidence(*, quick: bool, seed: int) -> list[Row]:
    reps = 150 if quick else 1000
    rows = []
    cells = (("tied block straddling the 1% allowance, 5,000 / 5,000", 5000, 5000, 0.01, _tied_block),
             ("integer scores, Poisson 6 vs 4, 5,000 / 5,000", 5000, 5000, 0.01, None),
             ("tied block straddling the 0.1% allowance, 2,000 / 40,000", 2000, 40000, 0.001, _tied_block))
    for ci, (label, n_m, n_n, target, gen) in enumerate(cells):
        rng = np.random.default_rng([seed, 502, ci])
        thin = old_thin = reported = 0
        for _ in range(reps):
            if gen is None:
                m, n = rng.poisson(6.0, n_m).astype(float), rng.poisson(4.0, n_n).astype(float)
            else:
                m, n = gen(rng, n_m, 0.5), gen(rng, n_n, 0.0)
            tp, fp = roc_counts(m, n)
            p = low_fpr_point(tp, fp, n_members=n_m, n_nonmembers=n_n, target=target)
            reported += p["tpr"] is not None
            thin += p["tpr"] is not None and p["false_positives"] < p["min_false_positives"]
            old_thin += p["false_positive_allowance"] >= p["min_false_positives"] and p["false_positives"] < 20
        rows.append(error_row("lowfpr_min_evidence", {"scores": label, "FPR": f"{target:.1%}"}, errors=thin, reps=reps,
                              alpha=0.0, measure="share of TPRs printed on fewer than 20 false positives",
                              detail=f"reported in {reported}/{reps}; the allowance rule (before) printed "
                                     f"{old_thin}/{reps} on fewer than 20"))
    return rows


# ----------------------------------------------------------------------------- membership on duplicated tables
def _table(n: int, rng: np.random.Generator, *, skew: float, levels: int, spread: float) -> tuple[np.ndarray, np.ndarray]:
    """Coarse categorical rows, one-hot encoded: most vectors repeat; the label rate depends on how rare a vector is."""
    a = np.minimum(rng.zipf(skew, n), 8) - 1
    b = np.minimum(rng.zipf(skew, n), 6) - 1
    c = rng.integers(0, 12, n) * (rng.random(n) < spread)
    d = rng.integers(0, levels, n)
    X = np.concatenate([np.eye(8)[a], np.eye(6)[b], np.eye(12)[c], np.eye(levels)[d]], 1).astype(np.float32)
    rare = (c > 0) & ((a > 0) | (b > 0))  # the vectors that rarely repeat
    y = (rng.random(n) < np.where(rare, 0.8, 0.1)).astype(np.float32)
    return X, y


class _Constant(torch.nn.Module):
    """Predicts one class for every row (the issue's DP model at ε = 1): no membership effect."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.full((len(x), 1), -1.2)


def _fixed_linear(n_features: int, seed: int) -> torch.nn.Module:
    """A fixed function of the features, never trained: it scores rare and common vectors differently, members alike."""
    torch.manual_seed(seed)
    layer = torch.nn.Linear(n_features, 1)
    layer.requires_grad_(False)
    return layer.eval()


@dataclass(frozen=True)
class Table:
    """A simulated table: rows, how coarse its features are, the (membership-free) model, reference attacks or not."""

    label: str
    n: int
    skew: float
    levels: int
    spread: float
    model: str  # "constant" or "fixed"
    reference: bool


TABLE_CELLS = (
    Table("5,000 rows, ~65% repeated vectors, constant model, 4 attacks", 5000, 1.5, 24, 0.6, "constant", True),
    Table("5,000 rows, ~65% repeated vectors, fixed model of x, 4 attacks", 5000, 1.5, 24, 0.6, "fixed", True),
    Table("20,000 rows, ~85% repeated vectors, fixed model of x, 2 attacks", 20000, 1.5, 24, 0.6, "fixed", False),
    Table("1,200 rows, ~90% repeated vectors (few unique rows), constant model", 1200, 2.6, 3, 0.2, "constant", False),
)
GATES = (GateSpec(metric="membership_inference_auc", model="m", max=0.60),
         GateSpec(metric="membership_inference_auc", model="m", max=0.55))


def _gate_outcomes(section: dict) -> list[str]:
    record = {"schema_version": "1.1", "run": {"name": "sim"}, "data": {}, "models": {"m": {}},
              "privacy": {"membership_inference": {"m": section}}}
    return [g.outcome for g in evaluate_gates(GATES, record)]


def _old_selection_auc(model: torch.nn.Module, X: np.ndarray, y: np.ndarray, n_train: int, rng) -> float:
    """The selection before issue 22: non-members cleaned of training copies, members any training rows."""
    keep = np.flatnonzero(duplicate_mask(X[:n_train], X[n_train:])["keep"]) + n_train
    k = min(len(keep), n_train, 5000)
    mem = rng.choice(n_train, size=k, replace=False)
    res = membership_inference(model, X_members=X[mem], y_members=y[mem], X_nonmembers=X[keep[:k]],
                               y_nonmembers=y[keep[:k]])
    return max(a["auc"] for a in res["attacks"].values())


def _mia_null(*, quick: bool, seed: int) -> list[Row]:
    rows = []
    for ci, cell in enumerate(TABLE_CELLS):
        if quick and cell.n > 5000:  # the quick subset keeps the 5,000-row and the few-unique-rows cells
            continue
        reps = (40 if cell.n >= 5000 else 100) if quick else (300 if cell.n > 5000 else 1000)
        n_old = min(reps, 10 if quick else 200)
        rng = np.random.default_rng([seed, 503, ci])
        fails = {g.max: 0 for g in GATES}
        flagged = inconclusive = old_fail = 0
        aucs, dup = [], []
        for r in range(reps):
            X, y = _table(cell.n, rng, skew=cell.skew, levels=cell.levels, spread=cell.spread)
            n_train = int(0.7 * cell.n)
            model = _Constant() if cell.model == "constant" else _fixed_linear(X.shape[1], int(rng.integers(1 << 30)))
            trainers = {"m": (lambda X_, y_, s, mdl=model: mdl, "the same fixed model")} if cell.reference else {}
            section = membership_audit({"m": model}, X_train=X[:n_train], y_train=y[:n_train], X_heldout=X[n_train:],
                                       y_heldout=y[n_train:], trainers=trainers, reference_models=2 if trainers else 0,
                                       seed=r)["m"]
            outcomes = _gate_outcomes(section)
            for g, out in zip(GATES, outcomes, strict=True):  # an outcome per gate
                fails[g.max] += out == "fail"
            inconclusive += outcomes[0] == "inconclusive"
            flagged += any(a["above_chance"] for a in section["attacks"].values())
            aucs += [max((a["auc"] for a in section["attacks"].values()), default=0.5)]
            dup.append(section["nonmember_cleaning"]["duplicated_share"])
            if r < n_old:  # the selection before: how often a gate at 0.60 failed on it
                old_fail += _old_selection_auc(model, X, y, n_train, rng) > 0.60
        cell_id = {"table": cell.label}
        note = (f"repeated vectors {np.mean(dup):.0%}; strongest AUC mean {np.mean(aucs):.3f}, max {np.max(aucs):.3f}; "
                f"inconclusive {inconclusive}/{reps}")
        for g in GATES:
            rows.append(error_row("mia_null_duplicates", {**cell_id, "gate": f"AUC ≤ {g.max:.2f}"}, errors=fails[g.max],
                                  reps=reps, measure="membership gate failed (no membership effect)",
                                  detail=note + (f"; the selection before failed AUC ≤ 0.60 in {old_fail}/{n_old}"
                                                 if g.max == 0.60 else "")))
        rows.append(error_row("mia_null_duplicates", {**cell_id, "gate": "—"}, errors=flagged, reps=reps,
                              measure="some attack reported above chance (Holm)", detail=note))
    return rows


# ----------------------------------------------------------------------------- canary bounds
@dataclass(frozen=True)
class Mechanism:
    """One canary's release: Gaussian (score = b·μ + N(0, 1), exactly μ-GDP) or randomized response at ε."""

    label: str
    kind: str
    param: float
    m: int = 1000

    def draw(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        included = rng.random(self.m) < 0.5
        if self.kind == "gaussian":
            return included * self.param + rng.normal(size=self.m), included
        truthful = rng.random(self.m) < math.exp(self.param) / (1 + math.exp(self.param))
        return np.where(truthful, included, ~included).astype(float), included

    def true_epsilon(self) -> float:
        return gdp_epsilon(self.param, DELTA) if self.kind == "gaussian" else self.param

    def true_mu(self) -> float:
        # Randomized response at ε is μ-GDP exactly from μ = 2 Φ⁻¹(e^ε / (1 + e^ε)) (the kink of its trade-off curve).
        return self.param if self.kind == "gaussian" else float(2 * norm.ppf(math.exp(self.param) / (1 + math.exp(self.param))))


MECHANISMS = (
    Mechanism("randomized response, ε = 1 (exactly (1, 0)-DP)", "rr", 1.0),
    Mechanism("randomized response, ε = 2", "rr", 2.0),
    Mechanism("randomized response, ε = 0.5", "rr", 0.5),
    Mechanism("Gaussian mechanism, μ = 1", "gaussian", 1.0),
    Mechanism("Gaussian mechanism, μ = 2", "gaussian", 2.0),
)


def _canary_bounds(*, quick: bool, seed: int) -> list[Row]:
    rows = []
    for ci, mech in enumerate(MECHANISMS):
        if quick and ci not in (0, 3):
            continue
        reps = 60 if quick else 1000
        rng = np.random.default_rng([seed, 504, ci])
        eps_true, mu_true = mech.true_epsilon(), mech.true_mu()
        eps, mus, via_mu = [], [], []
        for _ in range(reps):
            scores, included = mech.draw(rng)
            res = canary_result("sim", m=mech.m, scores=scores, included=included, delta=DELTA, confidence=0.95,
                                guess_fractions=FRACTIONS, epsilon_accountant=None, private=True)
            gdp = res["gaussian_dp"]
            reported = [res["epsilon_lower_bound"]] + ([gdp["epsilon_lower_bound"]] if gdp["epsilon_lower_bound"] is not None else [])
            eps.append(max(reported))
            mus.append(gdp["mu_lower_bound"])
            via_mu.append(gdp_epsilon(gdp["mu_lower_bound"], DELTA))  # what the Gaussian conversion printed before
        eps, mus, via_mu = np.array(eps), np.array(mus), np.array(via_mu)
        cell = {"mechanism": mech.label, "canaries": mech.m}
        rows.append(bound_row("canary_bounds", cell, above=int((eps > eps_true + 1e-9).sum()), reps=reps,
                              largest=float(eps.max()), truth=eps_true, measure="reported ε lower bounds above the true ε"))
        row = bound_row("canary_bounds", cell, above=int((mus > mu_true + 1e-9).sum()), reps=reps,
                        largest=float(mus.max()), truth=mu_true, measure="f-DP μ lower bound above the true μ")
        rows.append(Row(**{**row.__dict__, "detail": row.detail + f"; ε converted from μ (before): above the true ε in "
                                                                 f"{(via_mu > eps_true + 1e-9).mean():.0%}, largest "
                                                                 f"{via_mu.max():.3g}"}))
    return rows


CHECKS: list[Check] = [
    Check("lowfpr_tpr_coverage", "Membership attacks: TPR at 1% and 0.1% FPR",
          "The 95% interval of the true TPR at a target FPR, with the threshold estimated from the same non-members "
          "(order-statistic bounds on the threshold, Clopper–Pearson on the members), covers the truth in every cell, "
          "ties and unequal member/non-member counts included; coverage is measured over the audits where the TPR is "
          "reported.", _lowfpr_coverage, ("coverage", "ties", "unequal")),
    Check("lowfpr_min_evidence", "Membership attacks: the minimum-evidence rule on tied scores",
          "A low-FPR TPR is printed only when at least 20 non-members are actually behind its threshold.",
          _min_evidence, ("ties",)),
    Check("mia_null_duplicates", "Membership gate on a model without membership effect, many repeated feature vectors",
          "Members and non-members are drawn alike (feature vectors unique in the table), an AUC gate fails only on an "
          "attack above chance (Holm over the model's attacks), and too few unique rows leave it inconclusive: a model "
          "that cannot leak membership fails the gate in at most 5% of audits.", _mia_null, ("duplicates", "null")),
    Check("canary_bounds", "Canary audit: ε and μ lower bounds on Gaussian and non-Gaussian mechanisms",
          "Every reported ε lower bound (the (ε, δ) test; no ε is converted from the f-DP μ) and the f-DP μ lower bound "
          "lie above the mechanism's true value in at most 5% of seeds, for the Gaussian mechanism and for randomized "
          "response (δ = 1e-5, 1,000 canaries).", _canary_bounds, ("bound",)),
]

__all__ = ["CHECKS"]
