"""Generate a synthetic aggregator export of N rows (JSONL) for benchmarks.

Bodies are 2-3 KB of German sentences written for this project, shuffled per row
with a fixed seed; a known share of rows carries planted defects so the run
produces a realistic number of findings.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

SENTENCES = [
    "Der Gemeinderat hat am Dienstagabend nach langer Debatte über das neue Budget abgestimmt.",
    "Die Feuerwehr rückte mit mehreren Fahrzeugen aus und konnte den Brand rasch unter Kontrolle bringen.",
    "Nach Angaben der Polizei wurde niemand schwer verletzt, zwei Personen kamen ins Krankenhaus.",
    "Die Außenminister der Mitgliedstaaten trafen sich zu Beratungen über neue Sanktionen.",
    "Ein Sprecher des Ministeriums bestätigte die Zahlen, wollte sich aber nicht zu Details äußern.",
    "Anrainer berichteten von einem lauten Knall kurz nach Mitternacht.",
    "Die Ermittlungen zur Ursache des Unglücks dauern nach Auskunft der Behörden noch an.",
    "Wegen des starken Regens traten in mehreren Gemeinden Bäche über die Ufer.",
    "Die Opposition kritisierte den Beschluss scharf und kündigte eine Anfrage im Landtag an.",
    "Laut dem Bericht der Zeitung waren bereits im Vorjahr ähnliche Vorfälle bekannt geworden.",
    "Die Straße blieb für mehrere Stunden gesperrt, der Verkehr wurde großräumig umgeleitet.",
    "Experten warnen seit Jahren vor den Folgen des Personalmangels in den Spitälern.",
    "Der Angeklagte bestritt vor Gericht sämtliche Vorwürfe, das Urteil ist nicht rechtskräftig.",
    "Bei der Kundgebung auf dem Hauptplatz versammelten sich nach Schätzungen rund tausend Menschen.",
    "Die Bürgermeisterin sprach von einem schwarzen Tag für die ganze Region.",
    "Unbekannte brachen in der Nacht in ein Juweliergeschäft ein und erbeuteten Schmuck im Wert von mehreren tausend Euro.",
    "Die Regierung will das Gesetz noch vor dem Sommer durch das Parlament bringen.",
    "Ein Lastwagen kam auf der Autobahn ins Schleudern und prallte gegen die Leitschiene.",
    "Die Ärztekammer forderte zusätzliche Mittel für die Versorgung im ländlichen Raum.",
    "Über die Höhe des Schadens konnten zunächst keine genauen Angaben gemacht werden.",
]
CATEGORIES = ["Politik", "Brand", "Verkehrsunfall", "Unfall", "Naturkatastrophe", "Diebstahl", "Demonstration", "Gesundheit"]
PLACES = ["Wien, Österreich", "Graz, Österreich", "Linz, Österreich", "München, Deutschland", "Brüssel, Belgien", "Salzburg, Österreich"]
OUTLETS = ["www.donau-kurier.at", "www.alpenblatt.at", "www.stadtanzeiger-beispiel.de", "www.ostwind-news.at", "www.tagespost-beispiel.de"]


def make_row(number: int, rng: random.Random) -> dict:
    body_sentences = [rng.choice(SENTENCES) for _ in range(rng.randint(22, 34))]
    body = " ".join(body_sentences)
    row = {
        "id": f"gen-{number:07d}",
        "url": f"https://aggregator.example/artikel/{number}",
        "Titel": body_sentences[0][:70],
        "Text": body,
        "Datum": f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.2025, {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
        "Vorfall": rng.choice(CATEGORIES),
        "Ursache": "Ermittlungen laufen",
        "Ort": rng.choice(PLACES),
        "Quellen": ", ".join(rng.sample(OUTLETS, 2)),
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
