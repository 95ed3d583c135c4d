"""Peak memory of the text audit stage: chunked passes vs one pass over every test text.

Builds a synthetic corpus (random words from a 5,000-word vocabulary plus identity
terms, ~150 words a text, so every text fills ``max_length=128``), a
``TextClassifier`` with ``embedding_dim=32`` (the text example's shapes), and runs
the pipeline's text stage (``audit.pipeline._text``: identity mentions,
counterfactual flips, identity-subgroup AUCs, token attributions over every test
text) in a fresh process per measurement, so each process's ``ru_maxrss`` is that
run's peak. Reports the peak, the peak before the stage (imports, data, model) and
their difference, per mode and size:

- ``chunked``: today's code (bounded passes, ``audit.text._attributions.CHUNK_FLOATS``);
- ``one_pass``: the same code with the chunk set to every row (what the code did before issue 27).

``one_pass`` is skipped above ``--one-pass-max`` texts (it needs ≈2.5 GiB per 1,000 texts).

Measured on the shared 2-core machine (one torch thread; peak = the process's ru_maxrss):
1,243 texts one pass 3,598 MiB, chunked 670 MiB; 20,000 texts chunked 888 MiB (stage +388 MiB
over the set-up; ``/usr/bin/time -v`` max RSS 908,964 kB). Without the heap trim
(``audit.text._attributions._release_freed_memory``) the 20,000-text stage reached 3,077 MiB.

Run::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_text_memory.py [--sizes 1243 20000] [--one-pass-max 2500]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

_TERMS = ["woman", "man", "black", "white", "muslim", "christian", "jewish", "old", "young", "gay", "blind", "deaf"]


def _texts(n: int, rng: np.random.Generator) -> list[str]:
    words = np.array([f"w{i}" for i in range(5000)] + _TERMS)
    p = np.ones(len(words))
    p[-len(_TERMS):] = 20.0  # identity terms in a good share of the texts
    p /= p.sum()
    return [" ".join(rng.choice(words, size=150, p=p)) for _ in range(n)]


def _run(n: int, mode: str) -> dict:
    """One measurement, in this process: build the stage's inputs, run the stage, report ru_maxrss."""
    import pandas as pd
    import torch

    import audit.text._attributions as attributions
    from audit.data._prepare import PreparedData
    from audit.data._text import TextFeatures
    from audit.data._vocab import Vocabulary
    from audit.pipeline._context import AuditOptions, AuditRun
    from audit.pipeline._text import TEXT_STAGES
    from audit.runtime.compute import StageTimer
    from audit.runtime.progress import Progress
    from audit.text import TextClassifier, text_predict_fn

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    texts = _texts(n, rng)
    vocab = Vocabulary().fit(texts, min_count=1)
    ids = vocab.encode(texts, max_len=128).astype(np.float32)
    y = rng.integers(0, 2, n)
    torch.manual_seed(0)
    model = TextClassifier(len(vocab), embedding_dim=32).eval()
    predict = text_predict_fn(model, vocab, max_len=128, batch_size=1024)
    scores = np.concatenate([predict(texts[i : i + 1024]) for i in range(0, n, 1024)])  # the set-up stays small too
    raw = pd.DataFrame({"text": texts, "label": y})
    prepared = PreparedData(raw_train=raw.iloc[:0], raw_test=raw, X_train=ids[:0], X_test=ids, y_train=y[:0], y_test=y,
                            sensitive_train=pd.DataFrame(index=raw.index[:0]), sensitive_test=pd.DataFrame(index=raw.index),
                            preprocessor=TextFeatures(vocab, "text", 128), summary={})
    run = AuditRun(prepared=prepared, options=AuditOptions(), timer=StageTimer(),
                   progress=Progress(total=1, enabled=False), models={"reference": model},
                   scores={"reference": scores})
    if mode == "one_pass":
        attributions.CHUNK_FLOATS = 2**62
    del texts, raw
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.process_time()
    TEXT_STAGES[0].run(run)
    cpu = time.process_time() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tokens = run.text.to_dict()["models"]["reference"]["tokens"] if run.text is not None else {}
    return {"n": n, "mode": mode, "peak_mib": peak, "before_mib": before, "stage_mib": peak - before, "cpu_s": cpu,
            "deletion_p": tokens.get("deletion", {}).get("p_value")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1243, 20000])
    ap.add_argument("--one-pass-max", type=int, default=2500)
    ap.add_argument("--child", nargs=2, metavar=("N", "MODE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_run(int(args.child[0]), args.child[1])))
        return
    print(f"{'texts':>7} {'mode':>9} {'peak MiB':>9} {'before':>7} {'stage':>7} {'cpu s':>7}")
    for n in args.sizes:
        for mode in ("one_pass", "chunked"):
            if mode == "one_pass" and n > args.one_pass_max:
                print(f"{n:>7} {mode:>9}   skipped (> --one-pass-max)")
                continue
            out = subprocess.run([sys.executable, __file__, "--child", str(n), mode], capture_output=True, text=True,
                                 check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{n:>7} {mode:>9} {r['peak_mib']:>9.0f} {r['before_mib']:>7.0f} {r['stage_mib']:>7.0f} {r['cpu_s']:>7.1f}")


if __name__ == "__main__":
    main()
