"""Ingestion: raw seed files and fixtures → normalized articles, with nothing lost and nothing invented."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from newscorpus.ingest.clean import clean
from newscorpus.ingest.dates import parse_date
from newscorpus.ingest.ids import ascii_fold, make_article_id
from newscorpus.ingest.run import IngestReport, ingest_paths
from newscorpus.ingest.segment import segment
from newscorpus.ingest.store import (
    MalformedArticleError,
    article_from_markdown,
    article_to_markdown,
    load_articles,
)
from newscorpus.models import Article, Teaser

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
SEED_DIR = Path(__file__).resolve().parents[1] / "corpus" / "raw"
SEED_FILES = {
    "000": "000_27151a34bef73416.txt",
    "001": "001_36549e6154b713c1.txt",
    "004": "004_f26a69043c4155ea.txt",
}
BOILERPLATE = (
    "Anzeige",
    "Startseite",
    "Foto:",
    "Verwandte Themen",
    "Mehr zum Thema",
    "Quellenangabe",
    "Unsere Partner",
    "http",
    "Artikel anhören",
    "Autor:",
    "Advertisement",
    "Photo:",
    "Sponsored",
    "Listen to this article",
    "Related topics",
    "More on this topic",
    "©",
)



def shipped() -> dict[str, Article]:
    """The committed normalized seed articles, keyed by the seed number of their source file."""
    return {a.source_file[:3]: a for a in load_articles(CORPUS)}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*"))} if folder.is_dir() else {}


def copy_fixtures(tmp_path: Path, *names: str) -> list[Path]:
    src = tmp_path / "in"
    src.mkdir(exist_ok=True)
    return [Path(shutil.copy(FIXTURES / n, src / n)) for n in names]


# --- the shipped seed articles -------------------------------------------------------------------


def test_shipped_articles_metadata() -> None:
    arts = shipped()
    assert set(arts) == {"000", "001", "004"}

    a = arts["000"]
    assert a.id == "2026-01-16-zwei-tech-giganten-haben-sich-gerade-mit-ernsthaftem-geld"
    assert (a.title, a.publisher, a.author, a.published, a.language) == ("", "", "", "2026-01-16", "de")
    assert a.teasers == [
        Teaser(
            title="OpenAI und Cerebras schließen KI-Rechenleistungsvertrag für mehrere Jahre ab", published="2026-01-16"
        ),
        Teaser(title="Anthropic reorganisiert Führungsebene", published="2026-01-16"),
    ]
    assert len(a.source_urls) == 10
    assert (
        a.source_urls[0] == "https://energydigital.com/news/blackrock-investors-will-back-energy-over-big-tech-in-2026"
    )

    b = arts["001"]
    assert b.id == "2026-01-16-handelsblatt-ki-briefing-deutschlands-neue-ki-server-kommen-nur-kaum"
    assert b.title == "KI-Briefing: Deutschlands neue KI-Server kommen – nur kaum von heimischen Firmen"
    assert (b.publisher, b.author, b.published, b.language) == ("Handelsblatt", "Stephan Scheuer", "2026-01-16", "de")
    assert b.extra == {"tags": "Nvidia, Deutschland, Qualcomm, Apple, Jonas Andrulis"}

    c = arts["004"]
    assert c.id == "2026-01-21-wallstreetonline-konkrete-details-zum-umfang-zu-standorten-oder-zur"
    assert (c.title, c.publisher, c.author, c.published, c.language) == (
        "",
        "wallstreetONLINE",
        "Pascal Grunow",
        "2026-01-21",
        "de",
    )
    assert c.source_urls == [] and c.teasers == []


def test_shipped_passages_have_the_right_shape() -> None:
    arts = shipped()
    p000 = [p.text for p in arts["000"].passages() if p.kind == "body"]
    assert p000[0].startswith("Zwei Tech-Giganten haben sich")
    assert p000[1].startswith(
        "Was ist die KI-Infrastruktur-Partnerschaft und warum ist sie jetzt wichtig ?\nWie baut man"
    )
    facts = next(t for t in p000 if t.startswith("Betrachten Sie"))
    assert facts.count("\n- ") == 3
    assert p000[-1].endswith("damit Innovation überall gedeiht.")
    teasers = [p for p in arts["000"].passages() if p.kind == "teaser"]
    assert [p.passage_id for p in teasers] == [f"{arts['000'].id}#t1", f"{arts['000'].id}#t2"]

    p001 = [p.text for p in arts["001"].passages()]
    assert p001[0].endswith("Das sagt viel über Tempo und Risikobereitschaft.")
    assert p001[1].startswith(
        "Wenn Sie nur wenig Zeit haben, liebe Leserinnen und Leser,\ndann lautet die Kurzfassung:"
    )
    numbered = [t for t in p001 if t.split("\n")[-1][:3] in {"1. ", "2. ", "3. ", "4. ", "5. "}]
    assert len(numbered) == 5
    assert numbered[0].startswith("Was Sie sonst noch wissen sollten\n1. Der Machtkampf")
    assert p001[-1].startswith("Das war das KI-Briefing Nummer 123.")
    assert not any("Deutschlands neue KI-Server kommen" in t for t in p001)

    p004 = [p.text for p in arts["004"].passages()]
    assert p004[0] == (
        "Konkrete Details zum Umfang, zu Standorten oder zur operativen Ausgestaltung "
        "wurden bislang nicht veröffentlicht."
    )
    assert "Strom wird zum Engpassfaktor der KI-Ära\nTechnologiekonzerne" in p004[2]
    assert p004[-1].endswith("den Preisdruck im Energiemarkt zu dämpfen.")


def test_no_boilerplate_in_any_passage(tmp_path: Path) -> None:
    ingest_paths(copy_fixtures(tmp_path, "english_page.txt"), tmp_path / "c")
    articles = [*load_articles(CORPUS), *load_articles(tmp_path / "c")]
    for article in articles:
        for passage in article.passages():
            for junk in BOILERPLATE:
                assert junk not in passage.text, (passage.passage_id, junk)
    english = load_articles(tmp_path / "c")[0]
    assert "Download now" not in english.body and "Compare laptops" not in english.body
    assert "Satya Nadella at a company event" not in english.body


def test_passage_lines_are_verbatim_and_in_source_order(tmp_path: Path) -> None:
    sources = {a.source_file: a for a in load_articles(CORPUS)}
    ingest_paths(copy_fixtures(tmp_path, "english_page.txt", "front_matter.md"), tmp_path / "c")
    sources |= {a.source_file: a for a in load_articles(tmp_path / "c")}
    for source_file, article in sources.items():
        raw = ((SEED_DIR if source_file[:3] in {"000", "001", "004"} else FIXTURES) / source_file).read_text("utf-8")
        pos = 0
        for passage in article.passages():
            if passage.kind == "teaser":
                assert passage.text in raw
                continue
            for line in passage.text.split("\n"):
                assert line == line.strip() and line
                found = raw.find(line, pos)
                assert found >= 0, (passage.passage_id, line)
                pos = found + len(line)


def test_reingesting_seeds_is_identical_and_deterministic(tmp_path: Path) -> None:
    seeds = sorted(SEED_DIR.glob("*.txt"))
    first = ingest_paths(seeds, tmp_path / "one")
    second = ingest_paths(list(reversed(seeds)), tmp_path / "two")
    assert first.ok and second.ok and sorted(first.added) == sorted(second.added)
    assert snapshot(tmp_path / "one" / "articles") == snapshot(CORPUS / "articles")
    assert snapshot(tmp_path / "two" / "articles") == snapshot(CORPUS / "articles")


def test_markdown_format_round_trips_exactly() -> None:
    for path in sorted((CORPUS / "articles").glob("*.md")):
        text = path.read_text("utf-8")
        article = article_from_markdown(text, path.name)
        assert article_to_markdown(article) == text
        assert article.id == path.stem
    article = Article(
        id="x",
        title="Ein Titel: mit – Sonderzeichen, 'Quotes' und # Raute",
        published="2026-01-01",
        teasers=[Teaser(title="yes", published="")],
        extra={"n": "42", "flag": "true", "long": "w " * 200},
        body="Erster Absatz.\n\nÜberschrift\nZweiter Absatz: ja",
    )
    text = article_to_markdown(article)
    assert article_from_markdown(text) == article
    assert text.index("\nextra:") > text.index("\nteasers:") > text.index("\nsource_file:")
    assert any(line.startswith("  long: ") and len(line) > 400 for line in text.split("\n"))  # no wrapping


# --- input formats -------------------------------------------------------------------------------


def test_text_header_block_keeps_unknown_keys(tmp_path: Path) -> None:
    report = ingest_paths(copy_fixtures(tmp_path, "header_block.txt"), tmp_path / "c")
    assert report.ok and report.added == ["2026-02-03-handelsblatt-siemens-baut-rechenzentrum-in-erlangen"]
    (a,) = load_articles(tmp_path / "c")
    assert (a.title, a.author, a.published, a.publisher) == (
        "Siemens baut Rechenzentrum in Erlangen",
        "Anna Beispiel",
        "2026-02-03",
        "Handelsblatt",  # from the URL's domain
    )
    assert a.extra == {"section": "Technik", "paywall": "yes"}
    assert "url:" not in a.body and "---" not in a.body and len(a.passages()) == 2


def test_markdown_front_matter_and_headings(tmp_path: Path) -> None:
    report = ingest_paths(copy_fixtures(tmp_path, "front_matter.md"), tmp_path / "c")
    assert report.ok
    (a,) = load_articles(tmp_path / "c")
    assert a.title == "Nvidia and Siemens expand their industrial AI partnership"
    assert (a.published, a.publisher, a.language) == ("2026-02-10", "Example Wire", "en")
    assert a.extra == {"topic": "industrial-ai"}
    texts = [p.text for p in a.passages()]
    assert "#" not in a.body
    assert texts[1].startswith("What the deal covers\nThe companies will combine")
    assert texts[2] == (
        "The partners named three first customers:\n- a carmaker in Bavaria\n"
        "- a chemicals group in the Rhine valley\n- a battery maker in Sweden"
    )


def test_json_list_and_jsonl_with_a_bad_line(tmp_path: Path) -> None:
    json_file, jsonl_file = copy_fixtures(tmp_path, "records.json", "records.jsonl")
    report = ingest_paths([json_file, jsonl_file], tmp_path / "c")
    assert report.added == [
        "2026-03-01-example-wire-sap-opens-ai-lab-in-walldorf",
        "2026-03-02-telekom-and-nvidia-open-ai-factory-in-munich",
        "2026-03-05-mistral-raises-new-funding",
        "2026-03-05-aleph-alpha-cuts-jobs",
    ]
    assert not report.ok
    (bad,) = report.skipped
    assert bad.path == f"{jsonl_file}:2" and bad.reason.startswith("line 2: invalid JSON")
    arts = {a.source_file: a for a in load_articles(tmp_path / "c")}
    sap = arts["records.json#1"]
    assert (sap.author, sap.url, sap.extra) == ("Jo Writer", "https://example.com/sap-lab", {"category": "tech"})
    assert arts["records.json#2"].extra == {"wordcount": "23"}  # `body` field used, other fields kept
    assert arts["records.jsonl:3"].published == "2026-03-05"
    assert arts["records.jsonl:3"].extra == {"source": "wire"}


def test_english_page_cleaning(tmp_path: Path) -> None:
    report = ingest_paths(copy_fixtures(tmp_path, "english_page.txt"), tmp_path / "c")
    assert report.ok
    (a,) = load_articles(tmp_path / "c")
    assert a.title == "Microsoft and G42 sign data centre deal in Kenya"
    assert (a.author, a.published, a.publisher, a.language) == ("Jane Doe", "2026-01-21", "Example Times", "en")
    assert a.source_urls == ["https://news.microsoft.com/2026/01/21/kenya-data-centre", "https://www.g42.ai/news/kenya"]
    assert a.extra == {"tags": "Microsoft, Kenya, Data centres"}
    texts = [p.text for p in a.passages()]
    assert len(texts) == 4
    assert texts[2].startswith("Why it matters\nKenya has")
    assert texts[3].startswith("The agreement includes:\n- a new cloud region")


def test_utf8_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeffErster Absatz über KI.\r\n\r\nZweiter Absatz.\r\n".encode())
    report = ingest_paths([path], tmp_path / "c")
    assert report.ok
    (a,) = load_articles(tmp_path / "c")
    assert a.body == "Erster Absatz über KI.\n\nZweiter Absatz."


def test_directories_are_walked_recursively_and_sorted(tmp_path: Path) -> None:
    root = tmp_path / "in"
    (root / "b" / "deep").mkdir(parents=True)
    (root / "a").mkdir()
    (root / "b" / "deep" / "x.txt").write_text("Zweiter Text über Chips.", "utf-8")
    (root / "a" / "y.md").write_text("Erster Text über Strom.", "utf-8")
    (root / "a" / "notes.csv").write_text("not,an,article", "utf-8")
    (root / ".hidden.txt").write_text("Versteckt.", "utf-8")
    report = ingest_paths([root, tmp_path / "missing"], tmp_path / "c")
    assert report.added == ["erster-text-ueber-strom", "zweiter-text-ueber-chips"]
    assert [s.path for s in report.skipped] == [str(tmp_path / "missing")]


# --- never loses data ----------------------------------------------------------------------------


def test_bad_files_are_skipped_with_reasons_and_the_rest_go_on(tmp_path: Path) -> None:
    files = copy_fixtures(tmp_path, "empty.txt", "binary.txt", "malformed.json", "header_block.txt")
    corpus = tmp_path / "c"
    report = ingest_paths(files, corpus)
    assert not report.ok
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert reasons["empty.txt"].startswith("empty file")
    assert reasons["binary.txt"].startswith("binary file")
    assert reasons["malformed.json"].startswith("invalid JSON")
    assert report.added == ["2026-02-03-handelsblatt-siemens-baut-rechenzentrum-in-erlangen"]
    assert list(snapshot(corpus / "articles")) == [f"{report.added[0]}.md"]
    for name in ("empty.txt", "binary.txt", "malformed.json"):
        assert name in report.render()
    for f in files:  # inputs untouched
        assert f.read_bytes() == (FIXTURES / f.name).read_bytes()


def test_duplicate_is_reported_and_nothing_changes(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    (src,) = copy_fixtures(tmp_path, "english_page.txt")
    first = ingest_paths([src], corpus)
    before = snapshot(corpus / "articles")
    again = tmp_path / "copy-of-page.txt"
    shutil.copy(src, again)
    second = ingest_paths([src, again], corpus)
    assert second.added == [] and second.ok
    assert [(d.path, d.existing_id) for d in second.duplicates] == [
        (str(src), first.added[0]),
        (str(again), first.added[0]),
    ]
    assert snapshot(corpus / "articles") == before
    assert "duplicate" in second.render() and first.added[0] in second.render()


def test_colliding_ids_get_numbered_suffixes_and_originals_stay(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    header = "title: Gleicher Titel\npublished: 2026-04-01\n---\n"
    paths = []
    for n, body in enumerate(["Erste Fassung des Textes.", "Zweite, andere Fassung.", "Dritte Fassung."], 1):
        path = tmp_path / f"v{n}.txt"
        path.write_text(header + body + "\n", "utf-8")
        paths.append(path)
    first = ingest_paths(paths[:1], corpus)
    assert first.added == ["2026-04-01-gleicher-titel"]
    before = snapshot(corpus / "articles")
    report = ingest_paths(paths[1:], corpus)
    assert report.added == ["2026-04-01-gleicher-titel-2", "2026-04-01-gleicher-titel-3"]
    assert [(r.path, r.wanted_id, r.given_id) for r in report.renamed] == [
        (str(paths[1]), "2026-04-01-gleicher-titel", "2026-04-01-gleicher-titel-2"),
        (str(paths[2]), "2026-04-01-gleicher-titel", "2026-04-01-gleicher-titel-3"),
    ]
    after = snapshot(corpus / "articles")
    assert {k: after[k] for k in before} == before  # the original is byte-for-byte unchanged
    bodies = {a.id: a.body for a in load_articles(corpus)}
    assert bodies == {
        "2026-04-01-gleicher-titel": "Erste Fassung des Textes.",
        "2026-04-01-gleicher-titel-2": "Zweite, andere Fassung.",
        "2026-04-01-gleicher-titel-3": "Dritte Fassung.",
    }
    assert "renamed" in report.render() and "2026-04-01-gleicher-titel-3" in report.render()
    assert not list((corpus / "articles").glob(".*"))  # no temp files left behind


def test_malformed_normalized_file_raises_naming_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "ok.md").write_text(article_to_markdown(Article(id="ok", body="Text.")), "utf-8")
    (folder / "broken.md").write_text("no front matter here\n", "utf-8")
    with pytest.raises(MalformedArticleError, match=r"broken\.md"):
        load_articles(tmp_path)
    (folder / "broken.md").write_text("---\nid: other\n---\n\nText.\n", "utf-8")
    with pytest.raises(MalformedArticleError, match=r"broken\.md.*does not match"):
        load_articles(tmp_path)
    (folder / "broken.md").write_text("---\nid: broken\nsurprise: 1\n---\n\nText.\n", "utf-8")
    with pytest.raises(MalformedArticleError, match="unknown front-matter keys"):
        load_articles(tmp_path)


def test_report_render_and_ok() -> None:
    assert IngestReport().ok and IngestReport().render().startswith("added 0")


# --- rules in isolation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("16.01.2026 - 16:00 Uhr", "2026-01-16"),
        ("16/01/2026", "2026-01-16"),
        ("01/16/2026", "2026-01-16"),
        (" date 2026-01-21 ", "2026-01-21"),
        ("21. Januar 2026", "2026-01-21"),
        ("3. März 2026", "2026-03-03"),
        ("January 21, 2026", "2026-01-21"),
        ("21 January 2026", "2026-01-21"),
        ("2026-01-21T08:30:00Z", "2026-01-21"),
        ("31.02.2026", ""),
        ("im September 2024", ""),
    ],
)
def test_parse_date(text: str, iso: str) -> None:
    assert parse_date(text) == iso


def test_ids_are_ascii_slugs_of_bounded_length() -> None:
    assert ascii_fold("Größe Übermäßig café") == "Groesse Uebermaessig cafe"
    assert make_article_id("2026-01-02", "Süddeutsche Zeitung", "Öl: Preise fallen – stark") == (
        "2026-01-02-sueddeutsche-zeitung-oel-preise-fallen-stark"
    )
    long_id = make_article_id("2026-01-02", "X", "Wort " * 3 + "Donaudampfschifffahrtsgesellschaftskapitaen " * 5)
    assert len(long_id) <= 80 and not long_id.endswith("-")
    assert make_article_id("", "", "Nur ein Titel") == "nur-ein-titel"


def test_cleaning_rules_on_another_layout() -> None:
    """Same rules, different strings than the seeds: breadcrumb title, glued byline, captions, ads."""
    raw = (
        "1. Home\n2. Wirtschaft\n3. Chipfabrik in Magdeburg wird nicht gebaut\n\n"
        "WirtschaftChipfabrik in Magdeburg wird nicht gebaut\n\n"
        "Intel legt das Projekt endgültig auf Eis.Maria Muster 02.03.2026 - 09:15 Uhr\n"
        "Die Baustelle im Januar. Foto: dpa\n\n"
        "Liebe Leser,\n\nder Rückzug kommt nicht überraschend. Intel hatte das Projekt bereits 2024 verschoben.\n\n"
        "Anzeige\nSuperDeal\nJetzt sparen\n\n"
        "Die Landesregierung will das Gelände anders nutzen. Die Reporter-Kollegen der Zeitung berichten.\n\n"
        "Quellen:\nhttps://example.org/a\n"
    )
    cleaned = clean(raw)
    assert cleaned.title == "Chipfabrik in Magdeburg wird nicht gebaut"
    assert (cleaned.author, cleaned.published) == ("Maria Muster", "2026-03-02")
    assert cleaned.source_urls == ["https://example.org/a"]
    assert segment(cleaned.lines) == [
        "Intel legt das Projekt endgültig auf Eis.",
        "Liebe Leser,\nder Rückzug kommt nicht überraschend. Intel hatte das Projekt bereits 2024 verschoben.",
        "Die Landesregierung will das Gelände anders nutzen. Die Reporter-Kollegen der Zeitung berichten.",
    ]
    assert cleaned.publisher == ""  # nothing in the text names it


def test_hard_wrapped_paragraphs_stay_together() -> None:
    raw = (
        "This is a paragraph that was wrapped\nat a fixed width by the tool that\nexported it, so its lines"
        "\nare not paragraphs.\n\nSecond paragraph here.\n"
    )
    assert segment(clean(raw).lines) == [
        "This is a paragraph that was wrapped\nat a fixed width by the tool that\nexported it, so its lines"
        "\nare not paragraphs.",
        "Second paragraph here.",
    ]


def test_publisher_needs_recurring_self_reference_and_captions_need_a_credit() -> None:
    one_role = clean("Der Washington-Korrespondent berichtet. Der Washington-Korrespondent ergänzt.\n")
    assert one_role.publisher == ""
    two_roles = clean("Die Tagblatt-Korrespondentin schreibt. Die Tagblatt-Redaktion prüft das.\n")
    assert two_roles.publisher == "Tagblatt"
    kept = "Das Bild: ein Desaster für die Regierung, sagen Kritiker."
    assert segment(clean(kept + "\n").lines) == [kept]


def test_single_headline_and_date_is_the_title_not_a_teaser() -> None:
    cleaned = clean("Ein Titel für den Artikel\n16.01.2026\n\nDer Text beginnt hier und geht weiter.\n")
    assert (cleaned.title, cleaned.published, cleaned.teasers) == ("Ein Titel für den Artikel", "2026-01-16", [])
    assert segment(cleaned.lines) == ["Der Text beginnt hier und geht weiter."]
