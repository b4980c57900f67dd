"""Do the outlets an article credits match its `sources` field?

An aggregator's rewrite credits outlets in its text (`laut **Berliner Zeitung**`, `wie
die Kleine Zeitung berichtet`, `(sda/dpa/lyn)`) and lists domains in `sources`
(`www.heute.at • www.berliner-zeitung.de`). Both should name the same outlets.

Credits are recognised, precision first:

- domain names in the text (`Heute.at`, `www.krone.at`): credits when the domain is a
  known outlet's, when it stands in an attribution (`laut watson.ch`, `von **Heute.at**`)
  or marked (bold, quotes), or when its name looks like a paper's (`…zeitung.at`);
  any other domain (`www.wien.gv.at`) only counts as a mention;
- known outlets and agencies of ``auditor/data/outlets.yaml``: their unambiguous names
  wherever they stand (`Reuters`, `der Süddeutschen Zeitung`); names that are also
  ordinary words or often a story's subject (`Heute`, `Zeit`, `Kurier`, `ORF`) only in
  an attribution (`laut Heute`, `berichtete die Krone`, `wie die Zeit berichtet`, `dem
  Standard zufolge`); after the weaker `sagte der/dem`, `gegenüber`, `so die` only
  when marked as a title (`gegenüber dem „Standard“`, `sagte er der Welt` does not count);
- agency credit lines: `(sda/dpa/lyn)`, `(APA, 3.12.2024)`, `(Quelle: dpa)`; only known
  agency codes count, author initials (`lyn`) do not;
- unknown outlets in an attribution when their last word is a press word (`laut der
  Rheinischen Post`, `berichtet die Kieler Nachrichten`) or a press word introduces them
  (`wie das Nachrichtenmagazin Profil berichtet`, `laut dem Sender Puls 4`).

`laut Polizei`, `berichtet der Bürgermeister`, `nach Angaben des Innenministeriums` name no
outlet and are not credits. Photo credits (`Foto: APA`) are not credits either.

A credit matches a source when both belong to one known outlet, when the credited domain
is the source's, or by name: names and a domain's name part are compared lower-cased,
umlauts folded, without spaces, hyphens and dots, with German endings stripped
(`der Berliner Zeitung` ~ `berliner-zeitung.de`, `Kleinen Zeitung` ~ `kleinezeitung.at`),
or by initials (`Salzburger Nachrichten` ~ `sn.at`).

The words all this is read by (press words, triggers, articles, …) are data:
``auditor/data/press_words.yaml`` and ``auditor/data/attribution_words.yaml``.

Modules: ``vocabulary`` (those files), ``directory`` (the outlets file), ``names`` (keys
names are compared by; unknown outlets' names), ``credits`` (reading a credit around a
trigger), ``scan`` (finding mentions in texts), ``verdict`` (sources against mentions).
"""

from auditor.text.outlets.credits import STRONG, WEAK
from auditor.text.outlets.directory import Directory, Outlet, derived_forms, load_outlets, outlets_file
from auditor.text.outlets.names import compact, domain_keys, name_keys
from auditor.text.outlets.scan import Mention, scan_texts
from auditor.text.outlets.verdict import (
    Source, find_uncredited_sources, judge_credited_outlets, judge_row, parse_sources,
)
from auditor.text.outlets.vocabulary import load_attribution_words, load_press_words

__all__ = [
    "STRONG", "WEAK", "Directory", "Mention", "Outlet", "Source", "compact", "derived_forms", "domain_keys",
    "find_uncredited_sources", "judge_credited_outlets", "judge_row", "load_attribution_words", "load_outlets",
    "load_press_words", "name_keys", "outlets_file", "parse_sources", "scan_texts",
]
