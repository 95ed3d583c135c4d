"""Text audits: counterfactual flip rates and score changes, the largest over term pairs, identity AUCs.

Every simulated audit writes synthetic texts that each mention one identity term ("note 7 says
muslim people live here") and a scoring function whose behaviour is known: each text has a latent
propensity to flip (a Gaussian copula with within-text correlation ``rho``), so the 8 (religion)
or 14 (ethnicity) counterfactuals of one text are correlated as on real data, and each term pair
has a known true flip rate. The audit is :func:`audit.text.counterfactual_fairness`, the function
a run calls, and the gates are evaluated by :func:`audit.verdict.gates.evaluate_gates` on the record it
writes. Identity AUCs draw binormal scores (and a subgroup whose negatives are sometimes scored as
positives) with known subgroup, BPSN and BNSP AUCs and run :func:`audit.text.identity_auc_metrics`.
The grid holds the hard cells: rates 0.01 beside 0.3, 15 texts beside 500, strongly correlated
counterfactuals, the largest of 210 pairs, 10 texts on a side of an AUC, AUCs near 1.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np
from scipy import special, stats

from audit.config import GateSpec
from audit.result import AuditResult
from audit.text import SWAP_GROUPS, counterfactual_fairness, identity_auc_metrics
from audit.text._stats import clopper_pearson
from audit.verdict.gates import evaluate_gates
from validity._harness import Check, Row, coverage_row, error_row

LEVEL = 0.95


def _reps(quick: bool, full: int, fast: int) -> int:
    return fast if quick else full


def _rng(seed: int, label: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(label.encode())])


def _covers(ci, truth: float) -> bool:
    return ci is not None and None not in ci and ci[0] - 1e-12 <= truth <= ci[1] + 1e-12


# ---------------------------------------------------------------- synthetic texts and a scorer with known behaviour
@dataclass(frozen=True)
class TextWorld:
    """Texts mentioning one term each of a swap group, and how a scorer reacts to each swap.

    ``rate`` is every pair's true flip rate (``elevated`` raises the first pair's, ``terms[0]`` →
    ``terms[1]``); ``rho`` the within-text correlation of the flips. ``first_texts`` texts mention
    ``terms[0]`` (the others are spread evenly over the other terms); ``None`` spreads all evenly.
    ``score_scale`` > 0 makes the scorer's change continuous instead: |change| = min(1, scale · G · E)
    with G ~ Gamma(shape, 1 / shape) per text and E ~ Exp(1) per counterfactual.
    """

    label: str
    category: str
    n_texts: int
    rate: float = 0.05
    rho: float = 0.5
    elevated: float | None = None
    first_texts: int | None = None
    score_scale: float = 0.0
    score_shape: float = 1.0
    terms: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "terms", SWAP_GROUPS[self.category][0])

    def rates(self) -> np.ndarray:
        k = len(self.terms)
        theta = np.full((k, k), self.rate)
        if self.elevated is not None:
            theta[0, 1] = self.elevated
        np.fill_diagonal(theta, 0.0)
        return theta

    def sources(self, rng: np.random.Generator) -> np.ndarray:
        k = len(self.terms)
        if self.first_texts is None:
            return np.arange(self.n_texts) % k if self.n_texts >= k else rng.integers(0, k, self.n_texts)
        rest = self.n_texts - self.first_texts
        return np.r_[np.zeros(self.first_texts, dtype=int), 1 + np.arange(rest) % (k - 1)]

    def draw(self, rng: np.random.Generator):
        """``(texts, predict_fn)``: the texts and a scorer looking the (counter)factual texts up."""
        src = self.sources(rng)
        k, n = len(self.terms), len(src)
        z = rng.standard_normal(n)
        base = np.where(rng.random(n) < 0.5, 0.3, 0.7)
        if self.score_scale:
            base = np.zeros(n)
            g = rng.gamma(self.score_shape, 1.0 / self.score_shape, n)
            change = np.minimum(1.0, self.score_scale * g[:, None] * rng.exponential(size=(n, k)))
        else:
            cut = special.ndtri(1.0 - np.clip(self.rates()[src], 1e-12, 1.0))
            flip = np.sqrt(self.rho) * z[:, None] + np.sqrt(1.0 - self.rho) * rng.standard_normal((n, k)) > cut
            change = np.where(flip, 1.0 - 2.0 * base[:, None], 0.0)
        table = {}
        for i in range(n):
            for t, term in enumerate(self.terms):
                table[_text(i, term)] = float(base[i] + (0.0 if t == src[i] else change[i, t]))
        texts = [_text(i, self.terms[s]) for i, s in enumerate(src)]
        return texts, lambda batch: np.array([table.get(x, 0.5) for x in batch])

    def abs_change_truth(self) -> float:
        """E min(1, scale · G · E) by quadrature over G (E|G is exponential: E min(1, cE) = c (1 - exp(-1/c)))."""
        g = stats.gamma(self.score_shape, scale=1.0 / self.score_shape)
        qs = g.ppf((np.arange(200_000) + 0.5) / 200_000)
        c = self.score_scale * qs
        return float(np.mean(c * (1.0 - np.exp(-1.0 / c))))


def _text(i: int, term: str) -> str:
    return f"note {i} says {term} people live here"


def _audit(world: TextWorld, rng: np.random.Generator) -> dict:
    texts, predict = world.draw(rng)
    return counterfactual_fairness(predict, texts, categories=[world.category], n_examples=0, max_texts=10 ** 6)


def _pair(out: dict, source: str, target: str) -> dict | None:
    return next((p for p in out["pairs"] if p["from"] == source and p["to"] == target), None)


def _pooled_ci(cat: dict) -> list[float] | None:
    """The interval before texts were the unit: Clopper-Pearson over the pooled counterfactuals (for the table)."""
    n, value = cat["n_counterfactuals"], cat["flip_rate"]["value"]
    return None if not n or value is None else clopper_pearson(round(value * n), n, LEVEL)


# ---------------------------------------------------------------- checks: flip rates
CATEGORY_WORLDS = tuple(
    TextWorld(f"{cat}, {n} texts, rate {rate}, rho {rho}", cat, n, rate=rate, rho=rho)
    for cat, n, rho in (*((c, n, r) for c in ("religion", "ethnicity") for n in (15, 50) for r in (0.5, 0.9)),
                        ("ethnicity", 15, 0.0), ("ethnicity", 50, 0.0), ("religion", 500, 0.5), ("religion", 500, 0.9))
    for rate in (0.01, 0.03, 0.1, 0.3)
)
CATEGORY_QUICK = tuple(w for w in CATEGORY_WORLDS if (w.category, w.n_texts, w.rate, w.rho) in {
    ("ethnicity", 15, 0.1, 0.9), ("ethnicity", 50, 0.01, 0.9), ("ethnicity", 50, 0.3, 0.5), ("religion", 15, 0.03, 0.5),
    ("religion", 50, 0.1, 0.5)})


def _run_category(*, quick: bool, seed: int) -> list[Row]:
    rows = []
    for world in CATEGORY_QUICK if quick else CATEGORY_WORLDS:
        rng, reps = _rng(seed, world.label), _reps(quick, 600 if world.n_texts <= 50 else 250, 120)
        truth = float(world.rates()[~np.eye(len(world.terms), dtype=bool)].mean())
        hits = pooled = 0
        for _ in range(reps):
            cat = _audit(world, rng)["categories"][world.category]
            hits += _covers(cat["flip_rate"]["ci"], truth)
            pooled += _covers(_pooled_ci(cat), truth)
        rows.append(coverage_row("category_flip_rate", {"category": world.category, "texts": world.n_texts,
                                                        "rate": world.rate, "rho": world.rho},
                                 hits=hits, reps=reps, quick=quick,
                                 detail=f"pooled Clopper-Pearson (counterfactuals as independent): {pooled / reps:.1%}"))
    return rows


PAIR_WORLDS = tuple(
    TextWorld(f"pair, {n} texts, rate {rate}", "religion", n + 24, rate=rate, rho=0.9, first_texts=n)
    for n in (10, 15, 40, 200) for rate in (0.01, 0.05, 0.3)
)


def _run_pairs(*, quick: bool, seed: int) -> list[Row]:
    rows = []
    for world in PAIR_WORLDS if not quick else PAIR_WORLDS[::4]:
        rng, reps = _rng(seed, world.label), _reps(quick, 600, 120)
        hits = 0
        for _ in range(reps):
            pair = _pair(_audit(world, rng), world.terms[0], world.terms[1])
            hits += _covers(pair["flip_rate"]["ci"], world.rate)
        rows.append(coverage_row("pair_flip_rate", {"texts": world.first_texts, "rate": world.rate},
                                 hits=hits, reps=reps, quick=quick))
    return rows


MAX_WORLDS = (
    TextWorld("210 pairs, 15 texts per term, all 0.05", "ethnicity", 225, rate=0.05),
    TextWorld("210 pairs, 15 texts per term, all 0.2", "ethnicity", 225, rate=0.2),
    TextWorld("210 pairs, 15 texts per term, one 0.3 among 0.05", "ethnicity", 225, rate=0.05, elevated=0.3),
    TextWorld("210 pairs, 40 texts per term, one 0.15 among 0.05", "ethnicity", 600, rate=0.05, elevated=0.15),
    TextWorld("210 pairs, 40 texts per term, all 0.01", "ethnicity", 600, rate=0.01),
)


def _gate_outcome(out: dict, metric: str, bound: float) -> str:
    record = AuditResult.from_dict({"schema_version": "1.2", "run": {}, "data": {}, "models": {"private": {}},
                                    "text": {"models": {"private": {"counterfactual": out}}}})
    return evaluate_gates([GateSpec(metric=metric, model="private", max=bound)], record)[0].outcome


def _run_max(*, quick: bool, seed: int) -> list[Row]:
    rows = []
    for world in MAX_WORLDS if not quick else MAX_WORLDS[2:3]:
        rng, reps = _rng(seed, world.label), _reps(quick, 500 if world.n_texts < 500 else 300, 80)
        theta = world.rates()
        terms = list(world.terms)
        bound = float(theta.max())  # every pair's rate is at most the bound: a failing gate is a false alarm
        hits = raw = fails = naive = 0
        for _ in range(reps):
            out = _audit(world, rng)
            best = out["max_flip_rate"]
            truth = theta[terms.index(best["pair"]["from"]), terms.index(best["pair"]["to"])]
            hits += _covers(best["ci"], truth)
            raw += _covers(best["ci_pair"], truth)
            fails += _gate_outcome(out, "counterfactual_flip_rate", bound) == "fail"
            naive += best["value"] > bound
        cell = {"world": world.label}
        rows.append(coverage_row("max_flip_rate", cell, hits=hits, reps=reps, quick=quick,
                                 measure="coverage of the chosen pair's rate",
                                 detail=f"the chosen pair's own interval: {raw / reps:.1%}"))
        rows.append(error_row("max_flip_rate", cell, errors=fails, reps=reps,
                              measure=f"gate ≤ {bound:g} fails (every rate ≤ it)",
                              detail=f"failing on the largest estimate: {naive / reps:.1%}"))
    return rows


# ---------------------------------------------------------------- checks: score changes
SCORE_WORLDS = tuple(
    TextWorld(f"scores, {n} texts, scale {scale}, shape {shape}", "religion", n, score_scale=scale, score_shape=shape)
    for n in (15, 50, 500) for scale in (0.02, 0.15) for shape in (0.3, 3.0)
)
SCORE_PAIR_WORLDS = tuple(
    TextWorld(f"score pair, {n} texts, scale {scale}, shape {shape}", "religion", n + 24, first_texts=n,
              score_scale=scale, score_shape=shape)
    for n in (10, 15, 50) for scale in (0.02, 0.15) for shape in (0.3, 3.0)
)
SCORE_MAX_WORLD = TextWorld("score max, 210 pairs, 15 texts per term", "ethnicity", 225, score_scale=0.05,
                            score_shape=0.5)


def _run_scores(*, quick: bool, seed: int) -> list[Row]:
    rows = []
    category = [w for w in SCORE_WORLDS if not quick or (w.n_texts == 15 and w.score_shape == 0.3 and w.score_scale > 0.1)]
    for world in category:
        rng, reps = _rng(seed, world.label), _reps(quick, 600 if world.n_texts <= 50 else 300, 120)
        truth = world.abs_change_truth()
        hits = sum(_covers(_audit(world, rng)["categories"][world.category]["mean_abs_score_change"]["ci"], truth)
                   for _ in range(reps))
        rows.append(coverage_row("score_change", {"of": "category", "texts": world.n_texts, "scale": world.score_scale,
                                                  "shape": world.score_shape}, hits=hits, reps=reps, quick=quick))
    for world in (w for w in SCORE_PAIR_WORLDS
                  if not quick or (w.first_texts == 10 and w.score_shape == 0.3 and w.score_scale > 0.1)):
        rng, reps = _rng(seed, world.label), _reps(quick, 600, 120)
        truth = world.abs_change_truth()
        hits = sum(_covers(_pair(_audit(world, rng), world.terms[0], world.terms[1])["mean_abs_score_change"]["ci"],
                           truth) for _ in range(reps))
        rows.append(coverage_row("score_change", {"of": "pair", "texts": world.first_texts, "scale": world.score_scale,
                                                  "shape": world.score_shape}, hits=hits, reps=reps, quick=quick))
    world = SCORE_MAX_WORLD
    rng, reps = _rng(seed, world.label), _reps(quick, 400, 40)
    truth = world.abs_change_truth()
    hits = raw = 0
    for _ in range(reps):
        best = _audit(world, rng)["max_mean_abs_score_change"]
        hits += _covers(best["ci"], truth)
        raw += _covers(best["ci_pair"], truth)
    rows.append(coverage_row("score_change", {"of": "largest of 210 pairs", "texts": 15, "scale": world.score_scale,
                                              "shape": world.score_shape}, hits=hits, reps=reps, quick=quick,
                             measure="coverage of the chosen pair's mean", detail=f"its own interval: {raw / reps:.1%}"))
    return rows


# ---------------------------------------------------------------- checks: identity AUCs
@dataclass(frozen=True)
class AucWorld:
    """A background and a subgroup with known positives; binormal scores (positives shifted by ``d``).

    The subgroup's negatives are shifted by ``neg_shift`` and, with probability ``fp_share``, drawn
    from a component at ``fp_shift`` (texts falsely scored as positive for mentioning the identity);
    its positives are shifted by ``pos_shift``; positives have standard deviation ``pos_sd``.
    """

    label: str
    n_bg: int
    pos_bg: int
    n_sub: int
    pos_sub: int
    d: float
    neg_shift: float = 0.0
    pos_shift: float = 0.0
    pos_sd: float = 1.0
    fp_share: float = 0.0
    fp_shift: float = 0.0

    def truths(self) -> dict[str, float]:
        sd = np.sqrt(1.0 + self.pos_sd ** 2)

        def neg_mix(pos_mean: float) -> float:  # P(positive at pos_mean > a subgroup negative)
            return float((1 - self.fp_share) * stats.norm.cdf((pos_mean - self.neg_shift) / sd)
                         + self.fp_share * stats.norm.cdf((pos_mean - self.fp_shift) / sd))

        return {"subgroup_auc": neg_mix(self.d + self.pos_shift), "bpsn_auc": neg_mix(self.d),
                "bnsp_auc": float(stats.norm.cdf((self.d + self.pos_shift) / sd))}

    def draw(self, rng: np.random.Generator):
        y = np.r_[np.ones(self.pos_bg), np.zeros(self.n_bg - self.pos_bg), np.ones(self.pos_sub),
                  np.zeros(self.n_sub - self.pos_sub)].astype(int)
        g = np.r_[np.zeros(self.n_bg, bool), np.ones(self.n_sub, bool)]
        s = np.where(y == 1, self.d + self.pos_sd * rng.standard_normal(y.size), rng.standard_normal(y.size))
        fp = g & (y == 0) & (rng.random(y.size) < self.fp_share)
        s = s + np.where(g & (y == 1), self.pos_shift, 0.0) + np.where(g & (y == 0), self.neg_shift, 0.0)
        s = np.where(fp, self.fp_shift + rng.standard_normal(y.size), s)
        return y, s, g


AUC_WORLDS = (
    AucWorld("20 in subgroup (10 positives), AUC 0.76", 1000, 100, 20, 10, d=1.0),
    AucWorld("20 in subgroup (10 positives), AUC 0.96", 1000, 100, 20, 10, d=2.5),
    AucWorld("2% positives, 60 in subgroup (10 positives), negatives shifted", 1000, 20, 60, 10, d=2.5, neg_shift=0.5),
    AucWorld("30 in subgroup (12 positives), AUC 0.98", 1000, 50, 30, 12, d=3.0),
    AucWorld("small background, shifted both ways", 200, 60, 25, 12, d=1.5, neg_shift=0.8, pos_shift=-0.3),
    AucWorld("10% of subgroup negatives scored as positives", 1000, 100, 40, 10, d=2.5, fp_share=0.1, fp_shift=3.0),
    AucWorld("narrow positives (sd 0.3), 10 subgroup positives", 1000, 50, 40, 10, d=2.0, pos_sd=0.3),
    AucWorld("300 in subgroup (100 positives), AUC 0.92", 3000, 600, 300, 100, d=2.0, neg_shift=0.3),
)


def _run_auc(*, quick: bool, seed: int) -> list[Row]:
    rows = []
    for world in AUC_WORLDS if not quick else AUC_WORLDS[1::2]:
        rng, reps = _rng(seed, world.label), _reps(quick, 2000, 150)
        truths = world.truths()
        hits = dict.fromkeys(truths, 0)
        for _ in range(reps):
            y, s, g = world.draw(rng)
            sub = identity_auc_metrics(y, s, {"g": g}, n_boot=0, ci_level=LEVEL)["subgroups"]["g"]
            for fam, truth in truths.items():
                hits[fam] += _covers(sub[fam]["ci"], truth)
        for fam, truth in truths.items():
            rows.append(coverage_row("identity_auc", {"world": world.label, "AUC": fam.removesuffix("_auc").upper()},
                                     hits=hits[fam], reps=reps, quick=quick, detail=f"true AUC {truth:.3f}"))
    return rows


def _run_worst_auc(*, quick: bool, seed: int) -> list[Row]:
    """The lowest BPSN AUC over 12 subgroups of 30 texts with equal true AUCs: coverage and the gate at that AUC."""
    rows = []
    worlds = ((1.5, "12 subgroups of 30, BPSN 0.86 each"), (2.5, "12 subgroups of 30, BPSN 0.96 each"))
    for d, label in worlds if not quick else worlds[1:]:
        rng, reps = _rng(seed, label), _reps(quick, 600, 100)
        truth = float(stats.norm.cdf(d / np.sqrt(2)))
        hits = raw = fails = naive = 0
        for _ in range(reps):
            n_bg, k = 1500, 12
            y = np.r_[rng.random(n_bg) < 0.1, np.tile(np.r_[np.ones(12), np.zeros(18)], k)].astype(int)
            s = np.where(y == 1, d, 0.0) + rng.standard_normal(y.size)
            masks = {f"g{j}": np.r_[np.zeros(n_bg, bool), np.repeat(np.arange(k) == j, 30)] for j in range(k)}
            out = identity_auc_metrics(y, s, masks, n_boot=0, ci_level=LEVEL)
            worst = out["worst"]["bpsn_auc"]
            hits += _covers(worst["ci"], truth)
            raw += _covers(worst["ci_subgroup"], truth)
            record = AuditResult.from_dict({"schema_version": "1.2", "run": {}, "data": {}, "models": {"private": {}},
                                            "text": {"models": {"private": {"identity_auc": out}}}})
            gate = evaluate_gates([GateSpec(metric="bpsn_auc_min", model="private", min=truth)], record)[0]
            fails += gate.outcome == "fail"
            naive += worst["value"] < truth
        cell = {"world": label}
        rows.append(coverage_row("worst_auc", cell, hits=hits, reps=reps, quick=quick,
                                 measure="coverage of the chosen subgroup's BPSN AUC",
                                 detail=f"its own interval: {raw / reps:.1%}"))
        rows.append(error_row("worst_auc", cell, errors=fails, reps=reps, measure=f"gate ≥ {truth:.3f} fails",
                              detail=f"failing on the lowest estimate: {naive / reps:.1%}"))
    return rows


CHECKS = [
    Check("category_flip_rate", "Flip rate of an identity category (texts as clusters)",
          "Each category's flip rate pools the 8 (religion) or 14 (ethnicity) counterfactuals of every text; they "
          "are correlated (rho: within-text correlation of a latent flip propensity). Its 95% interval "
          "(Clopper-Pearson at the effective number of counterfactuals, texts as clusters) covers the true rate. "
          "The note gives the coverage of the interval that treated counterfactuals as independent.", _run_category),
    Check("pair_flip_rate", "Flip rate of one term pair",
          "A pair has one counterfactual per text: its exact interval over texts covers the pair's true rate.",
          _run_pairs),
    Check("max_flip_rate", "The largest flip rate over 210 term pairs",
          "The interval of the largest flip rate, adjusted for choosing it (Bonferroni over the eligible pairs), "
          "covers the chosen pair's true rate; a counterfactual_flip_rate gate whose bound is at or above every "
          "pair's true rate fails in at most 5% of audits (it is inconclusive where the adjusted interval reaches "
          "the bound). The notes give the chosen pair's own interval and a gate on the largest estimate.", _run_max),
    Check("score_change", "Mean absolute score change",
          "The mean |score change| of a category (texts as clusters) and of a pair, and the largest over 210 pairs "
          "(adjusted for the choice), cover the true mean when the changes are skewed (gamma text effects of "
          "shape 0.3: a few texts move far) or even.", _run_scores),
    Check("identity_auc", "Identity subgroup, BPSN and BNSP AUCs",
          "Each AUC's 95% interval covers the true AUC with 10 texts on a side, AUCs near 1, 2% positives, and "
          "subgroup negatives that are sometimes scored as positives.", _run_auc),
    Check("worst_auc", "The lowest BPSN AUC over 12 subgroups",
          "The interval of the lowest AUC, adjusted for choosing it, covers the chosen subgroup's AUC; a "
          "bpsn_auc_min gate at the true AUC of every subgroup fails in at most 5% of audits.", _run_worst_auc),
]
