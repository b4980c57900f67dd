"""The sources field against the outlets the article credits.

Like the checks in :mod:`auditor.expectations.checks`, the class's docstring is what
``auditor rules explain`` prints.
"""

from __future__ import annotations

from typing import ClassVar

from auditor.contracts import TextSettings
from auditor.expectations.base import AuditorColumnMapExpectation, RowCheckMetric
from auditor.text.outlets import judge_credited_outlets


class MatchCreditedOutletsMetric(RowCheckMetric):
    check = judge_credited_outlets
    settings = TextSettings
    reads_text = True


class ExpectColumnValuesToMatchCreditedOutlets(AuditorColumnMapExpectation):
    """The sources list the outlets the article credits, and the article credits every source.

    What it checks: the outlets that title and body credit are collected -- domain names
    (`Heute.at`, `www.krone.at`), known outlets and agencies by name (`Reuters`, `der
    Süddeutschen Zeitung`; names that are also ordinary words, like `Heute`, `Zeit` or
    `Kurier`, only where the text attributes something to them: `laut Heute`, `wie die Zeit
    berichtet`, `dem Kurier zufolge`), agency credit lines (`(sda/dpa/lyn)`, `(APA)`; author
    initials do not count) and unknown papers in an attribution whose name ends in a press
    word (`laut der Rheinischen Post`, `berichtet der Isar-Anzeiger`). Each is matched with
    the domains of `sources` (public-suffix aware, via tldextract offline), by the known
    outlet's domains or by name (`Berliner Zeitung` ~ `berliner-zeitung.de`, `Kleinen
    Zeitung` ~ `kleinezeitung.at`). The row fails when the text credits an outlet that
    sources does not list, or sources lists a domain the text never names. When the text
    credits no outlet at all, every source is unmatched and the row fails too: a rewrite
    must say whose reporting it uses. `laut Polizei`, `sagte der Bürgermeister` and photo
    credits (`Foto: APA`) are not credits. Malformed entries of sources are skipped here
    (`sources-well-formed` reports them), empty sources too (`metadata-present`). The known
    outlets are listed in `auditor/data/outlets.yaml`.

    Why it matters: sources are how readers and editors check a rewrite against what it
    rewrites. A credited outlet missing from sources hides where a claim came from; a
    source the text never mentions was often copied from another story's metadata.

    Known problems: an outlet credited only by a name that is also an ordinary word,
    without an attribution around it, is not seen.
    """

    metric: ClassVar[type] = MatchCreditedOutletsMetric
    rule_id: ClassVar[str] = "sources-match-text"
