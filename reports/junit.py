"""The audit's policy gates as JUnit XML, so CI systems show each gate as a test.

One ``<testcase>`` per gate. A failed ``error`` gate is a ``<failure>`` whose
message gives the value, the bound and what was compared; a failed
``warning`` gate passes (warnings never fail the verdict) and says so in
``<system-out>``, so CI stays green exactly when the verdict is "pass".

Examples
--------
>>> import tempfile, pathlib
>>> gate = {"name": "accuracy", "metric": "accuracy", "severity": "error", "value": 0.7, "min": 0.8,
...         "max": None, "compared": 0.7, "passed": False, "message": "accuracy = 0.7; required >= 0.8: FAIL"}
>>> path = pathlib.Path(tempfile.mkdtemp()) / "gates.xml"
>>> write_junit({"run": {"name": "demo"}, "gates": [gate], "verdict": "fail"}, path)
>>> 'failures="1"' in path.read_text()
True
"""

from __future__ import annotations

import math
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from audit.exceptions import RunDirError

__all__ = ["junit_xml", "write_junit"]

_WRITE_FAILED = "Cannot write the JUnit report to {path}: {error}. Choose a writable --junit path."
# XML 1.0 cannot hold most control characters even escaped; a hostile gate or run name must not break the file.
_XML_BAD = dict.fromkeys([c for c in range(32) if c not in (9, 10, 13)] + [0xFFFE, 0xFFFF], "\N{REPLACEMENT CHARACTER}")


def _clean(x: Any) -> str:
    return ("" if x is None else str(x)).translate(_XML_BAD)


def _num(x: Any) -> str:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return f"{x:.6g}"


def _bound(g: dict[str, Any]) -> str:
    parts = []
    if g.get("max") is not None:
        parts.append(f"<= {_num(g['max'])}")
    if g.get("min") is not None:
        parts.append(f">= {_num(g['min'])}")
    return " and ".join(parts) or "none"


def junit_xml(result: dict[str, Any]) -> str:
    """The JUnit XML document for the gates of ``result`` (an ``AuditResult`` dict).

    Examples
    --------
    >>> junit_xml({"gates": [], "verdict": "pass"}).count("<testcase")
    0
    """
    raw_run = result.get("run")
    run: dict[str, Any] = raw_run if isinstance(raw_run, dict) else {}
    gates = [g for g in result.get("gates") or [] if isinstance(g, dict)]
    failures = [g for g in gates if not g.get("passed") and g.get("severity", "error") == "error"]
    suite_name = f"rai-audit gates: {_clean(run.get('name') or 'audit')}"
    suites = ET.Element("testsuites", name="rai-audit", tests=str(len(gates)), failures=str(len(failures)), errors="0")
    suite = ET.SubElement(suites, "testsuite", name=suite_name, tests=str(len(gates)), failures=str(len(failures)),
                          errors="0", skipped="0", timestamp=_clean(run.get("created_at") or ""))
    props = ET.SubElement(suite, "properties")
    for key, value in (("verdict", result.get("verdict")), ("run", run.get("name")), ("config_sha256", run.get("config_sha256"))):
        ET.SubElement(props, "property", name=key, value=_clean(value))
    for g in gates:
        name = _clean(g.get("name") or g.get("metric") or "gate")
        classname = "rai_audit.gates." + _clean(g.get("severity", "error"))
        case = ET.SubElement(suite, "testcase", name=name, classname=classname, time="0")
        value, bound = _num(g.get("value")), _bound(g)
        compared = _num(g.get("compared"))
        detail = (f"metric {_clean(g.get('metric'))}"
                  + (f", model {_clean(g.get('model'))}" if g.get("model") else "")
                  + (f", feature {_clean(g.get('feature'))}" if g.get("feature") else "")
                  + f": value {value}" + (f" (compared {compared}, CI bound)" if g.get("use_ci_bound") and compared != value else "")
                  + f", bound {bound}")
        if g.get("passed"):
            ET.SubElement(case, "system-out").text = f"pass: {detail}"
        elif g in failures:
            if g.get("outcome") == "inconclusive":
                msg = f"inconclusive: {_clean(g.get('reason') or 'the evidence cannot decide')}; bound {bound}"
            else:
                msg = f"value {value} violates bound {bound}" if g.get("value") is not None else f"not computed; bound {bound}"
            fail = ET.SubElement(case, "failure", message=msg, type="GateFailed")
            fail.text = _clean(g.get("message")) + "\n" + detail
        else:
            ET.SubElement(case, "system-out").text = f"WARNING (does not fail the verdict): {_clean(g.get('message'))}\n{detail}"
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def write_junit(result: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Write the gates of ``result`` as JUnit XML to ``path`` (parent folders are created).

    Parameters
    ----------
    result : dict
        The ``AuditResult`` as a dict.
    path : path
        Output file, e.g. ``reports/gates.xml`` for a CI test-report step.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(junit_xml(result), encoding="utf-8")
    except OSError as exc:
        raise RunDirError(_WRITE_FAILED.format(path=target, error=exc.strerror or exc)) from None
