"""``junit.xml``: one test case per rule, so CI systems show rules as tests.

Each failing rule lists its first ``EXAMPLES_PER_RULE`` findings and a count of the rest, so
the file stays small on a bad night; a rule with a systematic problem says so in its
failure message.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from auditor.findings import AuditResult, counts_for_gate

EXAMPLES_PER_RULE = 10
# Characters XML 1.0 cannot carry at all; article text from the wild contains them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _waived_line(finding: dict[str, Any]) -> str:
    waiver = finding.get("waiver") or {}
    who = f" by {waiver['by']}" if waiver.get("by") else ""
    note = f": {waiver['note']}" if waiver.get("note") else ""
    return _xml_safe(f"waived{who} at {waiver.get('decided_at')}{note} -- {finding['row_id']} [{finding['column']}]: "
                     f"{finding['message']}")


def render_junit(result: AuditResult, run_info: dict[str, Any]) -> bytes:
    examples: dict[str, list[dict]] = {}
    waived: dict[str, list[dict]] = {}
    for finding in result.findings:
        if not counts_for_gate(finding):
            waived.setdefault(finding["rule"], []).append(finding)
            continue
        bucket = examples.setdefault(finding["rule"], [])
        if len(bucket) < EXAMPLES_PER_RULE:
            bucket.append(finding)
    # A failed rule whose every finding an editor waived is no failure: its waivers are listed instead.
    all_waived = {rule["id"] for rule in result.rules
                  if rule["status"] == "failed" and rule["id"] in waived and rule["id"] not in examples}
    failures = sum(1 for rule in result.rules if rule["status"] == "failed" and rule["id"] not in all_waived)
    errors = sum(1 for rule in result.rules if rule["status"] == "error")
    seconds = f"{sum(result.timings.values()):.3f}"
    suites = ET.Element("testsuites", name="auditor", tests=str(len(result.rules)),
                        failures=str(failures), errors=str(errors), time=seconds)
    suite = ET.SubElement(suites, "testsuite", name="auditor.rules", tests=str(len(result.rules)),
                          failures=str(failures), errors=str(errors), skipped="0", time=seconds,
                          timestamp=str(run_info.get("started_at", "")))
    properties = ET.SubElement(suite, "properties")
    for key in ("rows", "findings", "fail_on"):
        ET.SubElement(properties, "property", name=key, value=str(result.summary.get(key)))
    for rule in result.rules:
        case = ET.SubElement(suite, "testcase", classname=f"auditor.{rule['severity']}", name=rule["id"], time="0")
        if rule["status"] == "error":
            ET.SubElement(case, "error", message=f"rule could not be evaluated: {rule.get('error')}",
                          type="RuleError").text = rule.get("error")
        elif rule["status"] == "failed" and rule["id"] not in all_waived:
            message = (f"{rule['unexpected']} of {rule['evaluated']} values fail "
                       f"({rule['unexpected_percent']:.2f}%): {rule['description']}")
            if waived.get(rule["id"]):
                message += f" ({len(waived[rule['id']])} waived)"
            # A systematic problem is named first: it is what the failure is about.
            problems = [problem for problem in result.systematic if problem["rule"] == rule["id"]]
            if problems:
                message += "; systematic: " + "; ".join(problem["text"] for problem in problems)
            lines = [_xml_safe(f"{f['row_id']} [{f['column']}]: {f['message']}") for f in examples.get(rule["id"], [])]
            more = rule["unexpected"] - len(lines) - len(waived.get(rule["id"], []))
            if more > 0:
                lines.append(f"... and {more} more (see results.json; all findings in findings.jsonl)")
            ET.SubElement(case, "failure", message=message, type=rule["severity"]).text = "\n".join(lines)
        if waived.get(rule["id"]):
            ET.SubElement(case, "system-out").text = "\n".join(_waived_line(f) for f in waived[rule["id"]])
    ET.indent(suites)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True)
