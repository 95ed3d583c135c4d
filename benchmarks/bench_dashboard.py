"""First-render time of every dashboard page, as a reviewer sees it in Chromium.

Starts ``streamlit run dashboard/app.py`` once over a runs root, then opens each page of each run
(``/PAGE?run=NAME``) in a fresh Chromium context (a new browser session: page load, websocket, the app
script and the page's ``render()``), ``--sessions`` times, and times it from ``page.goto`` until the page's
title is shown and Streamlit's running indicator is gone (``data-test-script-state="notRunning"``).
Sessions of one server share its caches (``st.cache_data`` is per process), so the first session of a
run and page is reported apart as ``cold``: it pays for reading the run; the median is what a reviewer
meets after that. Prints a table (page × run: median, min, max) and writes a JSON file.

``--apptest`` also times each page with Streamlit's ``AppTest`` (no browser, no websocket: the script run
alone, caches cleared before the first of each page), which locates the cost in Python.

Runs root (``--runs-root``, required): a folder of run directories, e.g. copies of the examples' runs
(``rai-audit run examples/adult/audit.toml --out RUNS/adult`` ...); the dashboard only reads it. Debian's
Chromium only (``/usr/bin/chromium``; never ``playwright install``). The same measure on a one-line Streamlit app
(a title) is printed first: the floor no page can beat on this machine.

Run::

    .venv/bin/python benchmarks/bench_dashboard.py --runs-root RUNS [--sessions 5] [--quick] [--tabs] [--apptest]
        [--runs NAME ...] [--pages PAGE ...] [--json test-artifacts/bench_dashboard.json]

``--tabs``: also measure each session as a new tab of one browser profile (the front end's files cached, as in
a reviewer's browser after the first visit).

``--quick``: 2 sessions, the first run only (< 2 min).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "dashboard" / "app.py"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
# URL path of each page (st.navigation names it after the file) and the title it shows.
PAGES = {"runs": "Runs", "overview": None, "fairness": None, "error_analysis": None, "cohorts": None,
         "whatif": None, "compare": None, "privacy": None, "explainability": None, "text": None,
         "compute": None, "card": "Model card", "review": None}
# Marks, in the page's clock, each change of the app's script state (the server ran the script between the
# first "running" and the last "notRunning"); with the page's DOMContentLoaded they split a first render into
# loading the front end, connecting and the script run.
_MARKS = """window.__marks = []; new MutationObserver(() => {
  const s = document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state');
  const m = window.__marks; if (s && (!m.length || m[m.length - 1][0] !== s)) m.push([s, performance.now()]);
}).observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ['data-test-script-state']});"""
_NEXT_FRAME = "() => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)))"
_SETTLED = ("() => { const app = document.querySelector('[data-testid=\"stApp\"]');"
            " return app?.getAttribute('data-test-script-state') === 'notRunning'"
            " && !!document.querySelector('[data-testid=\"stMain\"] h1'); }")


def machine() -> dict:
    """The machine the figures were taken on (cores, CPU model, load average, versions)."""
    import streamlit

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    try:
        chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except OSError:
        chromium = "absent"
    return {"cpu": cpu, "cores": os.cpu_count(), "load_average": list(os.getloadavg()), "python": platform.python_version(),
            "streamlit": streamlit.__version__, "chromium": chromium, "platform": platform.platform()}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(root: Path, log: Path, *, app: Path = APP) -> tuple[subprocess.Popen, str]:
    """``streamlit run`` on a free localhost port; returns once its health check answers."""
    from dashboard.launch import build_command

    port = _free_port()
    cmd = build_command(root, port=port)  # the server `rai-audit dashboard` starts (the floor app: the same options)
    cmd[cmd.index("run") + 1] = str(app)
    proc = subprocess.Popen(cmd, stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=str(REPO))
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).status == 200:
                return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"streamlit did not start; see {log}")


def new_context(browser):
    """A fresh browser profile (empty HTTP cache, no cookies) that marks the app's script states."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(_MARKS)
    return context


def open_page(browser, url: str, *, context=None) -> tuple[float, bool, dict]:
    """Seconds from ``goto`` in a fresh context (or a new tab of ``context``: its HTTP cache warm) until the page's
    title shows and its script run is over; whether the page showed an exception; and where the time went (seconds
    since navigation start): ``front_end`` (DOMContentLoaded), ``script_start`` (first "running"), ``script_end``
    (last "notRunning"). Either way the tab is a new Streamlit session."""
    owned = context is None
    context = new_context(browser) if owned else context
    page = context.new_page()
    try:
        t0 = time.perf_counter()
        page.goto(url)
        page.wait_for_function(_SETTLED, timeout=120_000, polling=20)
        page.evaluate(_NEXT_FRAME)  # what the last message drew is on screen (React commits before the next frame)
        elapsed = time.perf_counter() - t0
        failed = page.get_by_test_id("stException").count() > 0
        marks = page.evaluate("[performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd, window.__marks]")
    finally:
        page.close()
        if owned:
            context.close()
    running = [t for s, t in marks[1] if s == "running"]
    split = {"front_end": marks[0] / 1000, "script_start": running[0] / 1000 if running else None,
             "script_end": marks[1][-1][1] / 1000 if marks[1] else None, "elapsed": elapsed}
    return elapsed, failed, split


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def floor_timing(sessions: int, log: Path, *, tabs: bool = False) -> dict:
    """The same measure on a one-line Streamlit app (a title): what any page costs before the dashboard's work."""
    from playwright.sync_api import sync_playwright

    app = log.with_name("floor_app.py")
    app.write_text('import streamlit as st\nst.title("Floor")\n')
    proc, url = start_server(log.parent, log, app=app)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            shared = new_context(browser) if tabs else None
            open_page(browser, url, context=shared)
            samples = [open_page(browser, url, context=shared) for _ in range(sessions)]
            browser.close()
    finally:
        _stop(proc)
    times = [s[0] for s in samples]
    return {"median": statistics.median(times), "min": min(times), "max": max(times),
            **_split_medians([s[2] for s in samples])}


def browser_timings(root: Path, runs: list[str], pages: list[str], sessions: int, log: Path, *,
                    tabs: bool = False) -> dict:
    """``{run: {page: {"cold", "samples", "median", "min", "max", "exception"}}}`` measured in Chromium; ``tabs``:
    each session a new tab of one browser profile (the front end's files cached) instead of a new profile."""
    from playwright.sync_api import sync_playwright

    proc, url = start_server(root, log)
    out: dict[str, dict] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            shared = new_context(browser) if tabs else None
            # Warm-up: the server imports the app's libraries once (and a shared profile caches the front end).
            open_page(browser, f"{url}/?run={runs[0]}", context=shared)
            for run in runs:
                out[run] = {}
                for slug in pages:
                    if slug == "text" and not _is_text(root / run):
                        continue
                    path = "" if slug == "runs" else slug
                    samples, splits, failed = [], [], False
                    for _ in range(sessions + 1):  # the first is the cold one
                        s, f, split = open_page(browser, f"{url}/{path}?run={run}", context=shared)
                        samples.append(s)
                        splits.append(split)
                        failed = failed or f
                    warm = samples[1:]
                    out[run][slug] = t = {"cold": samples[0], "samples": warm, "median": statistics.median(warm),
                                          "min": min(warm), "max": max(warm), "exception": failed,
                                          **_split_medians(splits[1:])}
                    print(f"  {run:>12} {slug:<15} median {t['median']:.2f} s ({_parts(t)}), cold {samples[0]:.2f} s"
                          + ("  EXCEPTION" if failed else ""), flush=True)
            browser.close()
    finally:
        _stop(proc)
    return out


def _split_medians(splits: list[dict]) -> dict:
    """Median front-end load and script run (first "running" to last "notRunning") over sessions."""
    ok = [s for s in splits if s["script_start"] is not None and s["script_end"] is not None]
    if not ok:
        return {"front_end": statistics.median(s["front_end"] for s in splits), "connect_s": float("nan"),
                "script_s": float("nan"), "draw_s": float("nan")}
    return {"front_end": statistics.median(s["front_end"] for s in ok),  # load and parse the front end
            "connect_s": statistics.median(s["script_start"] - s["front_end"] for s in ok),  # websocket, first rerun
            "script_s": statistics.median(s["script_end"] - s["script_start"] for s in ok),  # the script run
            "draw_s": statistics.median(s["elapsed"] - s["script_end"] for s in ok)}  # the last frame drawn


def _parts(t: dict) -> str:
    return (f"front end {t['front_end']:.2f}, connect {t['connect_s']:.2f}, script {t['script_s']:.2f}, "
            f"draw {t['draw_s']:.2f}")


def _is_text(run_dir: Path) -> bool:
    try:
        return json.loads((run_dir / "audit.json").read_text()).get("text") is not None
    except (OSError, ValueError):
        return False


def apptest_timings(root: Path, runs: list[str], pages: list[str], sessions: int) -> dict:
    """``{run: {page: {"cold", "median"}}}``: the script run alone (Streamlit's AppTest, no browser)."""
    import streamlit as st
    from streamlit import logger
    from streamlit.testing.v1 import AppTest

    logger.set_log_level("error")
    os.environ["RAI_AUDIT_RUNS_ROOT"] = str(root)
    out: dict[str, dict] = {}
    for run in runs:
        out[run] = {}
        for slug in pages:
            if slug == "text" and not _is_text(root / run):
                continue
            st.cache_data.clear()
            st.cache_resource.clear()
            for name in [n for n in logging.Logger.manager.loggerDict if n.startswith("streamlit")]:
                logging.getLogger(name).setLevel(logging.ERROR)  # AppTest's "missing ScriptRunContext" is expected
            samples = []
            for _ in range(sessions + 1):
                at = AppTest.from_file(str(APP), default_timeout=120)
                at.query_params["run"] = run
                t0 = time.perf_counter()
                at.run()
                if slug != "runs":
                    at.switch_page(f"views/{slug}.py")
                    at.run()
                samples.append(time.perf_counter() - t0)
            out[run][slug] = {"cold": samples[0], "median": statistics.median(samples[1:])}
    return out


def table(results: dict, *, key: str = "median") -> str:
    """Pages down, runs across: ``median (min–max)`` seconds, cold first session after the slash."""
    runs = list(results)
    pages = list(dict.fromkeys(p for r in runs for p in results[r]))
    lines = ["| page | " + " | ".join(runs) + " |", "|---|" + "---|" * len(runs)]
    for page in pages:
        cells = []
        for run in runs:
            t = results[run].get(page)
            if t is None:
                cells.append("—")
            elif "min" in t:
                cells.append(f"{t[key]:.2f} ({t['min']:.2f}–{t['max']:.2f}) / {t['cold']:.2f}"
                             + (" ⚠" if t.get("exception") else ""))
            else:
                cells.append(f"{t[key]:.2f} / {t['cold']:.2f}")
        lines.append(f"| {page} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs-root", type=Path, required=True, help="a folder of run directories (a copy)")
    parser.add_argument("--runs", nargs="*", help="run names (default: every run directory under the root)")
    parser.add_argument("--pages", nargs="*", default=list(PAGES), choices=list(PAGES))
    parser.add_argument("--sessions", type=int, default=5, help="fresh sessions per page and run (after the cold one)")
    parser.add_argument("--quick", action="store_true", help="2 sessions, the first run only")
    parser.add_argument("--tabs", action="store_true",
                        help="also measure each session as a new tab of one browser profile (front end cached)")
    parser.add_argument("--apptest", action="store_true", help="also time each page with AppTest (no browser)")
    parser.add_argument("--json", type=Path, default=REPO / "test-artifacts" / "bench_dashboard.json")
    args = parser.parse_args(argv)

    root = args.runs_root.resolve()
    runs = args.runs or sorted(p.name for p in root.iterdir() if (p / "audit.json").is_file())
    sessions = 2 if args.quick else args.sessions
    if args.quick:
        runs = runs[:1]
    info = machine()
    print(f"machine: {info['cpu']}, {info['cores']} cores, load average {info['load_average']}; "
          f"Streamlit {info['streamlit']}, {info['chromium']}", flush=True)
    report: dict = {"machine": info, "runs_root": str(root), "sessions": sessions, "command": " ".join(sys.argv)}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    modes = {"browser": "a new browser profile per session", **({"tabs": "a new tab per session"} if args.tabs else {})}
    for mode, says in modes.items():
        tabs = mode == "tabs"
        floor = floor_timing(sessions, args.json.with_suffix(".floor.log"), tabs=tabs)
        report[f"floor_{mode}"] = floor
        print(f"[{says}] floor (a one-line Streamlit app): median {floor['median']:.2f} s ({_parts(floor)})", flush=True)
        report[mode] = browser_timings(root, runs, args.pages, sessions, args.json.with_suffix(".streamlit.log"), tabs=tabs)
        print(f"\nFirst render in Chromium, {says}, seconds: median (min–max) of {sessions} sessions / cold first "
              f"session; floor {floor['median']:.2f}\n")
        print(table(report[mode]))
    if args.apptest:
        report["apptest"] = apptest_timings(root, runs, args.pages, sessions)
        print("\nAppTest script run, seconds: median / cold (caches cleared)\n")
        print(table(report["apptest"]))
    report["load_average_after"] = list(os.getloadavg())
    args.json.write_text(json.dumps(report, indent=1))
    print(f"\nload average after: {report['load_average_after']}; written {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
