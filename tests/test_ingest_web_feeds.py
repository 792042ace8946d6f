"""HTML news pages and RSS/Atom feeds → attributed, cleaned articles that are searchable and citable.

The fixtures are written to look like what users save: a full news page with consent banner, navigation,
breadcrumbs, teaser box, ad slot, share buttons, comments and footer; an RSS 2.0 feed with
`content:encoded`, `dc:creator` and RFC 822 dates; an Atom feed with HTML and XHTML content and RFC 3339
dates in a non-UTC offset.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp import Client
from mcp_types import TextContent

from newscorpus.config import Settings
from newscorpus.ingest.run import ingest_paths
from newscorpus.ingest.store import load_articles
from newscorpus.mcp_server import create_server
from newscorpus.models import Article
from newscorpus.query.api import CorpusQuery

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
PAGE = FIXTURES / "web" / "nordlicht-rechenzentrum.html"
RSS = FIXTURES / "feeds" / "energie-und-daten.rss"
ATOM = FIXTURES / "feeds" / "grid-and-compute.atom"

PAGE_BOILERPLATE = (
    "Cookies",
    "Alle akzeptieren",
    "Startseite",
    "Lesen Sie auch",
    "Abregelung kostet Millionen",
    "Anzeige",
    "Foto:",
    "Artikel teilen",
    "Kommentare",
    "Endlich passiert",
    "Impressum",
    "dataLayer",
    "Themen:",
)


def ingest_one(path: Path, corpus: Path) -> list[Article]:
    report = ingest_paths([path], corpus)
    assert report.ok, report.render()
    by_id = {a.id: a for a in load_articles(corpus)}
    return [by_id[i] for i in report.added]


# --- HTML pages ----------------------------------------------------------------------------------


def test_html_page_is_attributed_from_its_metadata(tmp_path: Path) -> None:
    [article] = ingest_one(PAGE, tmp_path / "c")
    assert article.id == "2026-01-22-kieler-wirtschaftsblatt-nordlicht-data-baut-ki-rechenzentrum-in-heide"
    assert article.title == "Nordlicht Data baut KI-Rechenzentrum in Heide"
    assert article.publisher == "Kieler Wirtschaftsblatt"
    assert article.author == "Jana Petersen"
    assert article.published == "2026-01-22"  # article:published_time, not the later modified_time
    assert article.url.endswith("/nordlicht-data-ki-rechenzentrum-heide-a-48213")
    assert article.language == "de"
    assert article.source_file == PAGE.name
    assert "Rechenzentren" in article.extra["tags"]
    assert article.extra["section"] == "Unternehmen"


def test_html_page_keeps_the_article_text_and_drops_the_page_around_it(tmp_path: Path) -> None:
    [article] = ingest_one(PAGE, tmp_path / "c")
    passages = [p.text for p in article.passages()]
    assert passages[0].startswith("Der Hamburger Rechenzentrumsbetreiber Nordlicht Data")
    assert passages[-1].startswith("Finanziert wird das Projekt")
    # a subheading heads the paragraph it introduces
    assert any(p.startswith("Erster Bauabschnitt ab 2027\nIm ersten Bauabschnitt") for p in passages)
    assert "„Wir holen die Rechenzentren dorthin, wo der grüne Strom erzeugt wird“" in article.body
    for junk in PAGE_BOILERPLATE:
        assert junk not in article.body, junk
    # the headline is the title, not a passage
    assert not any(p == article.title for p in passages)


def test_html_page_without_article_text_is_skipped_with_a_reason(tmp_path: Path) -> None:
    page = tmp_path / "in" / "login.html"
    page.parent.mkdir()
    page.write_text(
        "<html><body><nav><a href='/'>Startseite</a> <a href='/abo'>Abo</a></nav>"
        "<form><label>E-Mail</label><input name='u'><button>Anmelden</button></form></body></html>",
        "utf-8",
    )
    report = ingest_paths([page], tmp_path / "c")
    assert not report.added and not report.ok
    assert "no article text found in the HTML page" in report.skipped[0].reason


# --- feeds ---------------------------------------------------------------------------------------


def test_rss_feed_gives_one_article_per_item_with_links_dates_and_authors(tmp_path: Path) -> None:
    articles = ingest_one(RSS, tmp_path / "c")
    assert [a.source_file for a in articles] == [f"{RSS.name}#1", f"{RSS.name}#2", f"{RSS.name}#3"]
    husum, wind, nordlicht = articles
    assert husum.title == "Stadtwerke Husum kaufen Anteile an Offshore-Netzanbindung"
    assert husum.url == "https://www.kieler-wirtschaftsblatt.de/energie/stadtwerke-husum-offshore-netzanbindung-a-48240"
    # 00:30 +01:00 on the 24th is the 23rd in UTC: the publisher's own date is kept
    assert husum.published == "2026-01-24"
    assert [a.published for a in (wind, nordlicht)] == ["2026-01-22", "2026-01-22"]
    assert [a.author for a in articles] == ["Ole Carstensen", "Jana Petersen", "Jana Petersen"]
    assert {a.publisher for a in articles} == {"Kieler Wirtschaftsblatt"}
    assert {a.language for a in articles} == {"de"}
    assert husum.extra["tags"] == "Energie, Netze" and husum.extra["guid"] == "kwb-48240"


def test_rss_item_html_is_cleaned_to_verbatim_paragraphs(tmp_path: Path) -> None:
    husum, wind, _ = ingest_one(RSS, tmp_path / "c")
    # the full content:encoded text, not the one-line description
    assert "Kaufpreis liegt nach Angaben des Unternehmens bei 49 Millionen Euro" in husum.body
    assert "„Wir wollen am Ausbau verdienen, statt nur zuzusehen“" in husum.body  # entities decoded
    assert any(p.text.startswith("Strom für ein neues Rechenzentrum\n") for p in husum.passages())
    for junk in ("<", "trackArticle", "husum-umspannwerk", "&bdquo;"):
        assert junk not in husum.body, junk
    # a summary-only item: entities decoded, <br> starts a new passage
    assert "neue Leitungen & Speicher zurück." in wind.body
    assert [p.text for p in wind.passages()][-1] == "Die Entschädigungen sanken um ein Drittel."


def test_atom_feed_html_and_xhtml_content_and_offset_dates(tmp_path: Path) -> None:
    voltaris, grid = ingest_one(ATOM, tmp_path / "c")
    assert voltaris.title == "Voltaris signs 15-year power deal for Dutch AI campus"
    assert voltaris.url == "https://www.harbourline-wire.com/2026/01/21/voltaris-power-deal-eemshaven"
    assert voltaris.published == "2026-01-21"  # 18:15 -05:00, already the 22nd in UTC
    assert voltaris.author == "Priya Raman" and grid.author == "Marcus Doyle"
    assert voltaris.publisher == grid.publisher == "Harbourline Energy Wire"
    assert voltaris.language == grid.language == "en"
    assert "“Without the connection, none of this works,”" in voltaris.body
    assert grid.published == "2026-01-20"
    assert grid.body.startswith("European grid operators have received connection requests")
    assert len(grid.passages()) == 2


def test_feed_entries_without_text_and_files_that_are_no_feed_are_reported(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "catalog.xml").write_text("<?xml version='1.0'?><catalog><book id='1'/></catalog>", "utf-8")
    (folder / "mixed.rss").write_text(
        "<rss version='2.0'><channel><title>Hafenblatt</title>"
        "<item><title>Nur eine Überschrift</title><link>https://hafenblatt.example/1</link></item>"
        "<item><title>Werft baut Umspannplattform</title><link>https://hafenblatt.example/2</link>"
        "<description>Die Werft in Wolgast hat den Auftrag für eine Umspannplattform erhalten. "
        "Sie soll 2028 ausgeliefert werden.</description></item></channel></rss>",
        "utf-8",
    )
    report = ingest_paths([folder], tmp_path / "c")
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert reasons == {"catalog.xml": "not an RSS or Atom feed", "mixed.rss#1": "entry 1: no content or summary text"}
    [added] = load_articles(tmp_path / "c")
    assert added.title == "Werft baut Umspannplattform" and added.publisher == "Hafenblatt"


# --- folders -------------------------------------------------------------------------------------


def test_a_folder_of_mixed_formats_is_ingested_recursively(tmp_path: Path) -> None:
    root = tmp_path / "downloads"
    (root / "web" / "2026-01").mkdir(parents=True)
    (root / "feeds").mkdir()
    (root / ".cache").mkdir()
    shutil.copy(PAGE, root / "web" / "2026-01" / PAGE.name)
    shutil.copy(RSS, root / "feeds" / RSS.name)
    shutil.copy(ATOM, root / "feeds" / ATOM.name)
    shutil.copy(ATOM, root / ".cache" / "old.atom")  # hidden folders are not read
    (root / "web" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")  # unsupported types are not read
    report = ingest_paths([root], tmp_path / "c")
    assert report.ok, report.render()
    sources = sorted(a.source_file for a in load_articles(tmp_path / "c"))
    assert sources == sorted(
        [f"{ATOM.name}#1", f"{ATOM.name}#2", f"{RSS.name}#1", f"{RSS.name}#2", f"{RSS.name}#3", PAGE.name]
    )
    # the page and the feed's teaser of the same story want the same id; the second one is numbered
    assert [(r.wanted_id, r.given_id) for r in report.renamed] == [
        ("2026-01-22-kieler-wirtschaftsblatt-nordlicht-data-baut-ki-rechenzentrum-in-heide",
         "2026-01-22-kieler-wirtschaftsblatt-nordlicht-data-baut-ki-rechenzentrum-in-heide-2"),
    ]  # fmt: skip
    again = ingest_paths([root], tmp_path / "c")
    assert not again.added and len(again.duplicates) == 6


# --- searchable and citable ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def web_query(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CorpusQuery]:
    """A corpus built only from the page and the two feeds, indexed into a private folder."""
    corpus = tmp_path_factory.mktemp("web-corpus")
    report = ingest_paths([PAGE, RSS, ATOM], corpus)
    assert report.ok, report.render()
    query = CorpusQuery.open(Settings.resolve(corpus=corpus, index=tmp_path_factory.mktemp("web-index")))
    yield query
    query.close()


def test_ingested_page_is_searchable_and_its_passages_citable(web_query: CorpusQuery) -> None:
    found = web_query.search_articles("Abwärme Fernwärmenetz Stadtwerke Heide", limit=3)
    top = found.results[0]
    assert top.article_id == "2026-01-22-kieler-wirtschaftsblatt-nordlicht-data-baut-ki-rechenzentrum-in-heide"
    assert top.publisher == "Kieler Wirtschaftsblatt" and top.published == "2026-01-22"
    cited = next(p for p in top.passages if "Fernwärmenetz" in p.text)
    n = int(cited.passage_id.rpartition("#p")[2])
    detail = web_query.get_article(top.article_id, passages=[n])
    assert detail.passages[0].passage_id == cited.passage_id
    assert "Absichtserklärung" in detail.passages[0].text


def test_feed_entries_are_searchable_by_publisher_and_date(web_query: CorpusQuery) -> None:
    found = web_query.search_articles("offshore wind", publisher="Harbourline", date_from="2026-01-21")
    assert [r.article_id for r in found.results] == [
        "2026-01-21-harbourline-energy-wire-voltaris-signs-15-year-power-deal-for-dutch"
    ]
    husum = web_query.search_articles("Umspannwerk OR Kaufpreis Netzanbindung", date_from="2026-01-24")
    assert [r.title for r in husum.results] == ["Stadtwerke Husum kaufen Anteile an Offshore-Netzanbindung"]


@pytest.mark.anyio
async def test_ingested_feed_entry_cited_through_the_mcp_tools(web_query: CorpusQuery) -> None:
    async with Client(create_server(web_query)) as client:
        result = await client.call_tool("search_articles", {"query": "Eemshaven Brightline", "limit": 1})
        assert not result.is_error
        hit = result.structured_content["results"][0]
        passage_id = hit["passages"][0]["passage_id"]
        text = "\n".join(b.text for b in result.content if isinstance(b, TextContent))
        assert f"[{passage_id}]" in text and hit["url"].startswith("https://www.harbourline-wire.com/")
        markdown = (await client.read_resource(f"newscorpus://articles/{hit['article_id']}")).contents[0]
        assert f"[{passage_id}]" in getattr(markdown, "text", "")
