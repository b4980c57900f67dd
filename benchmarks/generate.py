"""Generate a synthetic aggregator export of N rows (JSONL) for benchmarks.

Bodies are 2-3 KB of German sentences written for this project: mostly sentences of the
row's category, some generic ones, drawn with a fixed seed. A known share of rows carries
planted defects (markup, bad domains, unknown or wrong categories, future dates,
duplicate ids, uncredited sources, page furniture), so a run produces a realistic number of findings.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

GENERIC = [
    "Ein Sprecher der Behörde bestätigte die Angaben, wollte sich aber nicht zu Details äußern.",
    "Über die Höhe des Schadens konnten zunächst keine genauen Angaben gemacht werden.",
    "Anrainer berichteten von einem lauten Knall kurz nach Mitternacht.",
    "Die Bürgermeisterin sprach von einem schwarzen Tag für die ganze Region.",
    "Laut dem Bericht der Zeitung waren bereits im Vorjahr ähnliche Fälle bekannt geworden.",
    "Weitere Informationen sollen im Laufe des Tages folgen.",
]
BY_CATEGORY = {
    "Politik": [
        "Der Gemeinderat hat am Dienstagabend nach langer Debatte über das neue Budget abgestimmt.",
        "Die Außenminister der Mitgliedstaaten trafen sich zu Beratungen über neue Sanktionen.",
        "Die Opposition kritisierte den Beschluss scharf und kündigte eine Anfrage im Landtag an.",
        "Die Regierung will das Gesetz noch vor dem Sommer durch das Parlament bringen.",
        "Die Koalition einigte sich nach zähen Verhandlungen auf einen Kompromiss.",
    ],
    "Brand": [
        "Die Feuerwehr rückte mit mehreren Fahrzeugen aus und konnte den Brand rasch unter Kontrolle bringen.",
        "Das Feuer war im Dachstuhl ausgebrochen und griff auf das Nachbarhaus über.",
        "Die Brandursache ist noch unklar, ein Brandsachverständiger wurde beigezogen.",
        "Zwei Bewohner erlitten eine Rauchgasvergiftung und kamen ins Krankenhaus.",
    ],
    "Verkehrsunfall": [
        "Ein Lastwagen kam auf der Autobahn ins Schleudern und prallte gegen die Leitschiene.",
        "Der Lenker des Pkw wurde bei dem Zusammenstoß schwer verletzt.",
        "Die Straße blieb für mehrere Stunden gesperrt, der Verkehr wurde großräumig umgeleitet.",
        "Ein Radfahrer wurde an der Kreuzung von einem abbiegenden Auto erfasst.",
    ],
    "Naturkatastrophe": [
        "Wegen des starken Regens traten in mehreren Gemeinden Bäche über die Ufer.",
        "Das Hochwasser überflutete Keller und Straßen im ganzen Tal.",
        "Ein Murenabgang verschüttete die Zufahrt zu dem Ortsteil.",
        "Der Wetterdienst gab eine Unwetterwarnung für die kommenden Tage aus.",
    ],
    "Diebstahl": [
        "Unbekannte brachen in der Nacht in ein Juweliergeschäft ein und stahlen Schmuck im Wert von mehreren tausend Euro.",
        "Die Einbrecher hatten die Hintertür aufgebrochen und den Tresor geleert.",
        "Die Polizei bittet um Hinweise zu dem Diebstahl.",
    ],
    "Demonstration": [
        "Bei der Kundgebung auf dem Hauptplatz versammelten sich nach Schätzungen rund tausend Menschen.",
        "Die Demonstranten forderten mit Transparenten und Sprechchören mehr Klimaschutz.",
        "Die Gewerkschaft kündigte für die kommende Woche einen Warnstreik an.",
    ],
    "Gesundheit": [
        "Experten warnen seit Jahren vor den Folgen des Personalmangels in den Spitälern.",
        "Die Gesundheitsbehörde meldete zahlreiche neue Infektionen mit dem Virus.",
        "Die Ärztekammer forderte zusätzliche Impfungen für Risikogruppen.",
    ],
    "Betrug": [
        "Der Angeklagte bestritt vor Gericht sämtliche Vorwürfe, das Urteil ist nicht rechtskräftig.",
        "Die Betrüger hatten ältere Menschen am Telefon um ihr Erspartes gebracht.",
        "Die Staatsanwaltschaft ermittelt wegen Untreue und Geldwäsche.",
    ],
}
CATEGORIES = list(BY_CATEGORY)
# The cause each category's articles give, and the sentence that states it.
CAUSES = {
    "Politik": ("Budgetstreit", "Der Streit um das Budget zog sich über Wochen."),
    "Brand": ("Kurzschluss", "Als Ursache vermutet die Feuerwehr einen Kurzschluss."),
    "Verkehrsunfall": ("Glatteis", "Die Fahrbahn war wegen Glatteis spiegelglatt."),
    "Naturkatastrophe": ("Starkregen", "Seit Tagen fiel Starkregen in der Region."),
    "Diebstahl": ("offenes Fenster", "Die Täter stiegen durch ein offenes Fenster ein."),
    "Demonstration": ("Klimapolitik", "Anlass des Protests war die Klimapolitik der Regierung."),
    "Gesundheit": ("Grippewelle", "Die Grippewelle erreichte diese Woche ihren Höhepunkt."),
    "Betrug": ("Anlagebetrug", "Den Ermittlern zufolge handelt es sich um Anlagebetrug."),
}
PLACES = ["Wien, Österreich", "Graz, Österreich", "Linz, Österreich", "München, Deutschland", "Brüssel, Belgien", "Salzburg, Österreich"]
OUTLETS = ["www.donau-kurier.at", "www.alpenblatt.at", "www.stadtanzeiger-beispiel.de", "www.ostwind-news.at", "www.tagespost-beispiel.de"]
CREDITS = [
    "Wie {first} berichtet, laufen die Erhebungen weiter. Das meldete auch {second}.",
    "Laut {first} war die Lage am Abend ruhig. Auch {second} berichtete darüber.",
    "Diese Angaben stammen von {first} und wurden von {second} bestätigt, wie {second} berichtet.",
]


# Page furniture an extraction drags into the body.
FURNITURE = [
    "\n\nGefällt Ihnen dieser Artikel? Unterstützen Sie unseren Journalismus!\n5 Euro\n10 Euro\nJetzt spenden",
    "\n\nAbonnieren Sie unseren Newsletter und verpassen Sie keine Meldung mehr.",
    "\n\nDie Kommentarfunktion für diesen Artikel wurde geschlossen.",
]


def make_row(number: int, rng: random.Random) -> dict:
    category = rng.choice(CATEGORIES)
    own, other = BY_CATEGORY[category], GENERIC
    cause, cause_sentence = CAUSES[category]
    body_sentences = [rng.choice(own if rng.random() < 0.6 else other) for _ in range(rng.randint(22, 34))]
    body_sentences.insert(1, cause_sentence)
    place = rng.choice(PLACES)
    sources = rng.sample(OUTLETS, 2)
    # Rewrites credit the outlets they draw on, as seed 001 does ("Laut **Berliner Zeitung** ...").
    first, second = (source.removeprefix("www.") for source in sources)
    body_sentences.insert(3, rng.choice(CREDITS).format(first=first, second=second))
    # Aggregator rewrites open with the place, as the seeds do ("Brüssel, Belgien - ...").
    body = f"{place} - " + " ".join(body_sentences)
    row = {
        "id": f"gen-{number:07d}",
        "url": f"https://aggregator.example/artikel/{number}",
        "Titel": body_sentences[0][:70],
        "Text": body,
        "Datum": f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.2025, {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
        "Vorfall": category,
        "Ursache": cause,
        "Ort": place,
        "Quellen": ", ".join(sources),
        "publisher": "aggregator.example",
    }
    defect = rng.random()
    if defect < 0.02:
        row["Text"] = row["Text"].replace("Zeitung", "**Zeitung**", 1) + " Laut **Alpenblatt** bestätigt."
    elif defect < 0.03:
        row["Quellen"] = '<ul style="list-style-type: none">• ' + row["Quellen"]
    elif defect < 0.04:
        row["Quellen"] = "www.zeitung"
    elif defect < 0.05:
        row["Vorfall"] = "Allgemein"
    elif defect < 0.06:
        row["Vorfall"] = None
    elif defect < 0.065:
        row["Datum"] = "2031-01-01T10:00:00+01:00"
    elif defect < 0.066:
        row["id"] = "gen-0000001"
    elif defect < 0.086:
        row["Vorfall"] = rng.choice([c for c in CATEGORIES if c != category])
    elif defect < 0.091:
        row["Quellen"] = "www.fremdes-tagblatt.at"  # credited nowhere; the credited two are missing
    elif defect < 0.096:
        row["Text"] += rng.choice(FURNITURE)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("rows", type=int)
    parser.add_argument("output", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with args.output.open("w", encoding="utf-8") as handle:
        for number in range(args.rows):
            handle.write(json.dumps(make_row(number, rng), ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
