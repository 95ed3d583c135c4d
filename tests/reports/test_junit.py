"""JUnit XML of the gates: one testcase per gate, failures carry value and bound."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from reports.junit import junit_xml, write_junit


def _gate(**kw):
    g = {"name": "g", "metric": "accuracy", "model": "private", "feature": None, "severity": "error", "max": None,
         "min": 0.8, "use_ci_bound": False, "value": 0.9, "ci": None, "compared": 0.9, "passed": True, "message": "m"}
    g.update(kw)
    return g


def test_one_testcase_per_gate_and_failures_counted(synthetic_result, tmp_path):
    synthetic_result["gates"].append(_gate(name="acc", value=0.7, compared=0.7, passed=False,
                                           message="accuracy = 0.7; required >= 0.8: FAIL"))
    path = tmp_path / "out" / "gates.xml"
    write_junit(synthetic_result, path)
    root = ET.parse(path).getroot()
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == 3 and suite.get("tests") == "3"
    failures = [c for c in cases if c.find("failure") is not None]
    assert [c.get("name") for c in failures] == ["acc"] and suite.get("failures") == "1"
    msg = failures[0].find("failure").get("message")
    assert "0.7" in msg and ">= 0.8" in msg


def test_failed_warning_gate_does_not_fail_ci(synthetic_result):
    root = ET.fromstring(junit_xml(synthetic_result))
    warn = [c for c in root.iter("testcase") if c.get("classname").endswith("warning")]
    assert warn and warn[0].find("failure") is None
    assert "WARNING" in warn[0].find("system-out").text


def test_not_computed_gate_fails_with_reason():
    root = ET.fromstring(junit_xml({"gates": [_gate(value=None, compared=None, passed=False)], "verdict": "fail"}))
    assert "not computed" in root.find(".//failure").get("message")


def test_hostile_names_stay_well_formed():
    xml = junit_xml({"run": {"name": "<x>&\x01"}, "gates": [_gate(name="<script>\x00</script>")], "verdict": "pass"})
    case = ET.fromstring(xml).find(".//testcase")
    assert case.get("name").startswith("<script>")


def test_inconclusive_gate_fails_with_its_reason_not_a_bound_violation():
    gate = _gate(metric="demographic_parity_difference", max=0.1, min=None, value=0.0, compared=0.0, passed=False,
                 outcome="inconclusive", reason="the private model is degenerate (it predicts 1 for 100.0% of the rows)")
    msg = ET.fromstring(junit_xml({"gates": [gate], "verdict": "fail"})).find(".//failure").get("message")
    assert msg.startswith("inconclusive: the private model is degenerate") and "violates" not in msg
