"""Tests for auditor.extract on real files (invented German fixtures, bundled examples, the shared seeds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import InputError
from auditor.extract import PAGE_SUFFIXES, extract_page

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_PAGES = REPO / "examples" / "pages"
SEEDS = REPO.parent / "shared" / "seeds"

LEAKED_SOURCES = '<ul style="list-style-type: none">• www.seeblick-post.at• www.hafenkurier.de'

AGGREGATOR_TEXT = f"""

Fährunglück auf dem Bodensee: Alle Passagiere gerettet!

Eine Fähre ist bei dichtem Nebel auf eine Sandbank gelaufen. Verletzt wurde niemand.

Bregenz, Österreich - Die Fähre war am Morgen mit 140 Fahrgästen unterwegs, als sie vor der Hafeneinfahrt
festsaß. Das meldet die **Seeblick-Post**.

Laut **Hafenkurier** soll die Fähre am Nachmittag wieder frei sein.

Details\t
Vorfall\tUnfall
Ursache\tNebel,
Navigationsfehler
Ort\tBregenz, Österreich
Quellen\t{LEAKED_SOURCES}

Besuchen Sie uns auf: seeticker.at
"""

ORIGINAL_TEXT = """Vorarlberg
Chronik

Fähre läuft bei Nebel vor Bregenz auf Grund

Fähre läuft bei Nebel vor Bregenz auf Grund

12.10.2026, 08:05
Schiff in der Hafeneinfahrt. Bild: zvg

Bei dichtem Nebel ist am Montagmorgen eine Fähre vor Bregenz auf eine Sandbank gelaufen. (abc)

Gute Recherche kostet Geld. Jetzt unterstützen
5 EUR
12 EUR
Wir schliessen die Kommentare nach 24 Stunden, damit wir alle Beiträge selbst lesen können.
Marktgemeinde plant neues Freibad
"""


def write_page(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def test_text_page_with_details_block(tmp_path):
    page = extract_page(write_page(tmp_path, "agg_faehre.txt", AGGREGATOR_TEXT))

    assert page["id"] == "agg_faehre"
    assert page["title"] == "Fährunglück auf dem Bodensee: Alle Passagiere gerettet!"
    assert page["Vorfall"] == "Unfall"
    assert page["Ursache"] == "Nebel,\nNavigationsfehler"
    assert page["Ort"] == "Bregenz, Österreich"
    assert page["Quellen"] == LEAKED_SOURCES
    assert page["url"] is None


def test_text_body_keeps_markdown_and_drops_details_and_footer(tmp_path):
    page = extract_page(write_page(tmp_path, "agg_faehre.txt", AGGREGATOR_TEXT))

    assert page["publisher"] == "seeticker.at"
    assert "**Seeblick-Post**" in page["body"]
    assert page["body"].startswith("Eine Fähre ist bei dichtem Nebel")
    assert page["body"].endswith("am Nachmittag wieder frei sein.")
    assert "\n\n" in page["body"]
    for leftover in ("Besuchen Sie uns", "Vorfall", "Details", "<ul"):
        assert leftover not in page["body"]


def test_text_page_without_details_keeps_furniture(tmp_path):
    page = extract_page(write_page(tmp_path, "orig_faehre.txt", ORIGINAL_TEXT))

    assert not {"Vorfall", "Ursache", "Ort", "Quellen"} & page.keys()
    assert page["publisher"] is None
    for furniture in ("Jetzt unterstützen", "12 EUR", "schliessen die Kommentare", "neues Freibad"):
        assert furniture in page["body"]


def test_breadcrumbs_skipped_and_repeated_headline_kept_once(tmp_path):
    page = extract_page(write_page(tmp_path, "orig_faehre.txt", ORIGINAL_TEXT))

    assert page["title"] == "Fähre läuft bei Nebel vor Bregenz auf Grund"
    assert "Vorarlberg" not in page["body"]
    assert "auf Grund" not in page["body"]
    assert page["body"].startswith("Schiff in der Hafeneinfahrt.")


def test_date_line_becomes_published_at(tmp_path):
    page = extract_page(write_page(tmp_path, "orig_faehre.txt", ORIGINAL_TEXT))

    assert page["published_at"] == "12.10.2026, 08:05"
    assert "12.10.2026" not in page["body"]


def test_details_line_without_tab_continues_or_is_ignored(tmp_path):
    text = (
        "Stau nach Lkw-Panne auf der Brennerautobahn\n\nDer Verkehr staute sich auf zwölf Kilometern.\n\n"
        "Details\nohne Schlüssel davor\nVorfall\tVerkehrsunfall\nOrt Innsbruck fehlt der Tab\n"
    )
    page = extract_page(write_page(tmp_path, "panne.txt", text))

    assert page["Vorfall"] == "Verkehrsunfall\nOrt Innsbruck fehlt der Tab"
    assert "Ort" not in page
    assert "ohne Schlüssel" not in page["body"]


def test_details_word_in_prose_is_not_a_block(tmp_path):
    text = "Neue Regeln für Radwege in Wien beschlossen\n\nDetails\n\nDie Stadt nennt noch keine Termine.\n"
    page = extract_page(write_page(tmp_path, "radwege.txt", text))

    assert "Vorfall" not in page
    assert page["body"] == "Details\n\nDie Stadt nennt noch keine Termine."


HTML_TABLE = """<!DOCTYPE html>
<html><head>
<meta charset="utf-8"><title>Brand in Bäckerei | Seeticker</title>
<link rel="canonical" href="https://seeticker.at/chronik/brand-baeckerei">
<meta property="article:published_time" content="2026-11-02T04:30:00+01:00">
</head><body>
<header><nav><a href="/">Start</a> Navigationstext</nav></header>
<article>
  <h1>Brand in Dornbirner Bäckerei</h1>
  <p>In einer Backstube in Dornbirn ist in der Nacht ein Ofen in Brand geraten, berichtet die <strong>Seeblick-Post</strong>.</p>
  <p>Zwei Bäcker konnten sich **rechtzeitig** ins Freie retten.</p>
  <script>var tracking = "Skripttext";</script>
  <h2>Details</h2>
  <table>
    <tr><th>Vorfall</th><td>Brand</td></tr>
    <tr><td>Ursache</td><td>Überhitzter   Ofen</td></tr>
    <tr><th>Ort</th><td>Dornbirn, <span>Österreich</span></td></tr>
    <tr><th>Quellen</th><td><ul style="list-style-type: none"><li>www.seeblick-post.at</li></ul></td></tr>
  </table>
</article>
<footer><p>Besuchen Sie uns auf: seeticker.at</p></footer>
</body></html>
"""

HTML_DL = """<!DOCTYPE html>
<html><head>
<meta charset="utf-8"><title>Sturm deckt Dächer ab</title>
<meta property="og:url" content="https://hafenkurier.de/nord/sturm">
<meta property="og:site_name" content="Hafenkurier">
</head><body>
<main>
  <h1>Sturm deckt in Kiel mehrere Dächer ab</h1>
  <time datetime="2026-10-30T18:00:00+01:00">30. Oktober 2026</time>
  <p>Orkanböen haben in Kiel am Donnerstag mehrere Dächer beschädigt.</p>
  <dl class="artikel-details">
    <dt>Vorfall</dt><dd>Naturkatastrophe</dd>
    <dt>Ort</dt><dd>Kiel, Deutschland</dd>
    <dt>Quellen</dt><dd><a href="https://www.hafenkurier.de">www.hafenkurier.de</a></dd><dd>www.foerde-bote.de</dd>
  </dl>
</main>
</body></html>
"""


def test_html_table_details(tmp_path):
    page = extract_page(write_page(tmp_path, "brand.html", HTML_TABLE))

    assert page["Vorfall"] == "Brand"
    assert page["Ursache"] == "Überhitzter Ofen"
    assert page["Ort"] == "Dornbirn, Österreich"
    assert page["Quellen"] == '<ul style="list-style-type: none"><li>www.seeblick-post.at</li></ul>'


def test_html_title_body_url_date_publisher(tmp_path):
    page = extract_page(write_page(tmp_path, "brand.html", HTML_TABLE))

    assert page["id"] == "brand"
    assert page["title"] == "Brand in Dornbirner Bäckerei"
    assert page["url"] == "https://seeticker.at/chronik/brand-baeckerei"
    assert page["published_at"] == "2026-11-02T04:30:00+01:00"
    assert page["publisher"] == "seeticker.at"
    assert page["body"] == (
        "In einer Backstube in Dornbirn ist in der Nacht ein Ofen in Brand geraten, berichtet die Seeblick-Post."
        "\n\nZwei Bäcker konnten sich **rechtzeitig** ins Freie retten."
    )


def test_html_dl_details_and_meta_fallbacks(tmp_path):
    page = extract_page(write_page(tmp_path, "sturm.htm", HTML_DL))

    assert page["Vorfall"] == "Naturkatastrophe"
    assert page["Ort"] == "Kiel, Deutschland"
    assert page["Quellen"] == "www.hafenkurier.de\nwww.foerde-bote.de"
    assert "Ursache" not in page
    assert page["url"] == "https://hafenkurier.de/nord/sturm"
    assert page["publisher"] == "Hafenkurier"
    assert page["published_at"] == "2026-10-30T18:00:00+01:00"
    assert page["body"] == "Orkanböen haben in Kiel am Donnerstag mehrere Dächer beschädigt."


def test_html_title_falls_back_to_title_tag(tmp_path):
    html = "<html><head><title>Glätte auf der Pyhrnautobahn</title></head><body><p>Mehrere Autos rutschten.</p></body></html>"
    page = extract_page(write_page(tmp_path, "glaette.html", html))

    assert page["title"] == "Glätte auf der Pyhrnautobahn"
    assert page["body"] == "Mehrere Autos rutschten."
    assert page["url"] is None and page["published_at"] is None and page["publisher"] is None


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_text_encodings_keep_umlauts(tmp_path, encoding):
    text = "Straßensperre in Göß wegen Hangrutschung\n\nDie Gemeinde Göß sperrt die Straße für Lkw über 3,5 Tonnen.\n"
    page = extract_page(write_page(tmp_path, "goess.txt", text, encoding))

    assert page["title"] == "Straßensperre in Göß wegen Hangrutschung"
    assert page["body"] == "Die Gemeinde Göß sperrt die Straße für Lkw über 3,5 Tonnen."


@pytest.mark.parametrize("content", [b"", b"  \n\t\r\n  "])
def test_empty_page_is_an_input_error(tmp_path, content):
    path = tmp_path / "leer.txt"
    path.write_bytes(content)

    with pytest.raises(InputError) as caught:
        extract_page(path)
    message = str(caught.value)
    assert "leer.txt" in message and "empty" in message
    assert "\n" not in message


def test_undecodable_page_is_an_input_error(tmp_path):
    path = tmp_path / "kaputt.txt"
    path.write_bytes(b"Titel einer Meldung mit Fehler\n\nText \x81\x8d ende\n")

    with pytest.raises(InputError, match="kaputt.txt") as caught:
        extract_page(path)
    assert "\n" not in str(caught.value)


def test_bundled_example_pages_extract():
    pages = sorted(path for path in EXAMPLE_PAGES.iterdir() if path.suffix in PAGE_SUFFIXES)
    assert len(pages) >= 4
    for path in pages:
        page = extract_page(path)
        assert page["title"], path.name
        assert page["body"], path.name
    with_details = [extract_page(path) for path in pages if "Vorfall" in extract_page(path)]
    assert len(with_details) == 3


def test_real_seed_pages():
    if not SEEDS.is_dir():
        pytest.skip(f"seed folder {SEEDS} is absent")
    rewrite = extract_page(SEEDS / "001_d6f240a953c802b2.txt")
    assert rewrite["Vorfall"] == "Terrorismus"
    assert rewrite["Ursache"]
    assert rewrite["Ort"] == "Brüssel, Belgien"
    assert rewrite["Quellen"].startswith("<ul")
    assert "die-nachrichten.at" in rewrite["publisher"]
    assert rewrite["title"].startswith("NATO warnt")
    assert "**Heute.at**" in rewrite["body"]
    assert "Besuchen Sie uns" not in rewrite["body"]
    assert "Terrorismus" not in rewrite["body"] and "Quellen" not in rewrite["body"]

    original = extract_page(SEEDS / "000_8f140c7bc8186c8a.txt")
    assert "Vorfall" not in original
    assert original["title"].startswith("Nato wirft Russland vor")
    assert original["published_at"] == "04.12.2024, 18:49"
    assert "CHF" in original["body"]
    assert "Rassemblement National" in original["body"]


# --- HTML pages: the main text from trafilatura, the body as published ----------------------

NEWS_PAGE = """<!DOCTYPE html>
<html lang="de"><head>
<meta charset="utf-8"><title>Lawine verschüttet Skitourengeher | Bergbote</title>
<meta property="og:site_name" content="Bergbote">
<link rel="canonical" href="https://bergbote.example/tirol/lawine-kuehtai">
<meta property="article:published_time" content="2026-02-11T09:15:00+01:00">
</head><body>
<header><nav><ul><li><a href="/">Start</a></li><li><a href="/tirol">Tirol</a></li><li><a href="/sport">Sport</a></li></ul></nav></header>
<div class="cookie">Wir verwenden Cookies, um Ihnen ein gutes Leseerlebnis zu bieten. <a href="#">Alle akzeptieren</a></div>
<article>
  <h1>Lawine verschüttet zwei Skitourengeher im Kühtai</h1>
  <p class="byline">Von Lea Gruber</p>
  <p>Im Kühtai in Tirol hat am Dienstagvormittag eine Lawine zwei Skitourengeher aus Innsbruck erfasst. Einer der beiden
  konnte sich selbst befreien und grub seinen Begleiter nach wenigen Minuten aus dem Schnee.</p>
  <p>Beide Männer wurden mit dem Hubschrauber in die Klinik nach Innsbruck geflogen. Der Lawinenwarndienst hatte für den
  Tag die Gefahrenstufe drei von fünf ausgegeben, oberhalb von 2000 Metern warnte er vor frischem Triebschnee.</p>
  <p>Die Bergrettung erinnerte am Nachmittag daran, dass Notfallausrüstung mit Lawinenverschüttetensuchgerät, Schaufel
  und Sonde auf jeder Tour mitgenommen werden sollte. Nur so sei eine schnelle Kameradenrettung möglich.</p>
  <div class="share"><a href="#">Teilen</a> <a href="#">Drucken</a></div>
  <h2>Details</h2>
  <table><tr><th>Vorfall</th><td>Unfall</td></tr><tr><th>Ort</th><td>Kühtai, Österreich</td></tr></table>
</article>
<aside><h3>Meistgelesen</h3><ul><li><a href="/a">Neue Gondelbahn am Patscherkofel</a></li><li><a href="/b">Stau vor dem Brenner</a></li></ul></aside>
<footer><p>© 2026 Bergbote Medien</p><p><a href="/impressum">Impressum</a> | <a href="/datenschutz">Datenschutz</a></p></footer>
</body></html>
"""


def test_html_main_text_comes_from_the_library(tmp_path):
    page = extract_page(write_page(tmp_path, "lawine.html", NEWS_PAGE))
    main_text = page["main_text"]
    assert "eine Lawine zwei Skitourengeher" in main_text
    assert "schnelle Kameradenrettung" in main_text
    # the page around the story, and the aggregator's metadata, are not the story's text
    for outside in ("Cookies", "Meistgelesen", "Gondelbahn", "Impressum", "Bergbote Medien", "Vorfall", "Kühtai, Österreich"):
        assert outside not in main_text, outside


def test_html_body_is_the_article_region_as_published(tmp_path):
    page = extract_page(write_page(tmp_path, "lawine.html", NEWS_PAGE))
    # the byline inside the article stays in the body, for the furniture check to see;
    # navigation, aside and footer are not the article region
    assert page["body"].startswith("Von Lea Gruber\n\nIm Kühtai")
    assert "Meistgelesen" not in page["body"] and "Impressum" not in page["body"]
    assert "Vorfall" not in page["body"] and page["Vorfall"] == "Unfall"


def test_html_metadata_from_the_library_with_the_pages_own_timestamp(tmp_path):
    page = extract_page(write_page(tmp_path, "lawine.html", NEWS_PAGE))
    assert page["title"] == "Lawine verschüttet zwei Skitourengeher im Kühtai"
    assert page["url"] == "https://bergbote.example/tirol/lawine-kuehtai"
    assert page["publisher"] == "Bergbote"
    # trafilatura (htmldate) reads the day; the page's own timestamp names the same day and keeps the time
    assert page["published_at"] == "2026-02-11T09:15:00+01:00"


def test_html_date_from_the_library_when_the_markup_has_none(tmp_path):
    html = NEWS_PAGE.replace('<meta property="article:published_time" content="2026-02-11T09:15:00+01:00">',
                             '<meta name="date" content="2026-02-10">')
    page = extract_page(write_page(tmp_path, "lawine.html", html))
    assert page["published_at"] == "2026-02-10"


def test_text_pages_have_no_main_text_of_a_library(tmp_path):
    page = extract_page(write_page(tmp_path, "meldung.txt", AGGREGATOR_TEXT))
    assert "main_text" not in page


def test_extract_writes_main_text_beside_the_body(tmp_path):
    import json

    from typer.testing import CliRunner

    from auditor.cli import app

    html = write_page(tmp_path, "lawine.html", NEWS_PAGE)
    text = write_page(tmp_path, "meldung.txt", AGGREGATOR_TEXT)
    output = tmp_path / "pages.jsonl"
    result = CliRunner().invoke(app, ["extract", str(html), str(text), "--output", str(output)])
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in map(json.loads, output.read_text(encoding="utf-8").splitlines())}
    assert "Kameradenrettung" in rows["lawine"]["main_text"]
    assert rows["lawine"]["body"].startswith("Von Lea Gruber")
    assert rows["meldung"]["main_text"] is None
    columns = list(rows["lawine"])
    assert columns.index("main_text") == columns.index("publisher") + 1  # right after the canonical fields
