"""``junit.xml``: one test case per rule, so CI systems show rules as tests."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from auditor.findings import AuditResult

EXAMPLES_PER_RULE = 10
# Characters XML 1.0 cannot carry at all; article text from the wild contains them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def render_junit(result: AuditResult, run_info: dict[str, Any]) -> bytes:
    examples: dict[str, list[dict]] = {}
    for finding in result.findings:
        bucket = examples.setdefault(finding["rule"], [])
        if len(bucket) < EXAMPLES_PER_RULE:
            bucket.append(finding)
    failures = sum(1 for rule in result.rules if rule["status"] == "failed")
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
        elif rule["status"] == "failed":
            message = (f"{rule['unexpected']} of {rule['evaluated']} values fail "
                       f"({rule['unexpected_percent']:.2f}%): {rule['description']}")
            lines = [_xml_safe(f"{f['row_id']} [{f['column']}]: {f['message']}") for f in examples.get(rule["id"], [])]
            more = rule["unexpected"] - len(lines)
            if more > 0:
                lines.append(f"... and {more} more (see results.json)")
            ET.SubElement(case, "failure", message=message, type=rule["severity"]).text = "\n".join(lines)
    ET.indent(suites)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True)
