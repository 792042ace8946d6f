"""Boilerplate removal and metadata inference for scraped news text.

Scraped pages carry navigation, teasers of other articles, photo credits, ads, tag lists and source
lists around the article. The rules here recognise those by *shape* (numbered nav lines at the top,
a headline followed by a date, a short line ending in a photo credit, …), not by exact strings of any
one site, and move what is metadata (teasers, author, date, sources, tags) out of the body. Lines that
stay are kept verbatim (only edge whitespace trimmed), so every passage can be found in the source.
Inferred metadata only fills fields the file did not state, and a field the text does not give stays
empty.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlparse

from newscorpus.ingest.dates import DATE, TIME, parse_date
from newscorpus.models import Teaser

TOP_LINES = 8  # bylines and date lines are only looked for this many content lines into the article

_NAME_WORD = r"[A-ZÄÖÜÉ][a-zäöüßéèáàçñ'’]+(?:-[A-ZÄÖÜ][a-zäöüßéèáàçñ'’]+)?"
_NAME = rf"{_NAME_WORD}(?:\s+(?:(?:von|van|de|der|den|da|di|del|du|le|la|zu)\s+)*{_NAME_WORD}){{1,4}}"
_NAMES = rf"{_NAME}(?:(?:\s*,\s*|\s+(?:und|and|&)\s+){_NAME})*"

_LIST_ITEM = re.compile(r"^(?:[-*•–]|\d{1,2}[.)])\s+\S")
_BREADCRUMB = re.compile(r"^(\d{1,2})\.\s+(\S.{0,150})$")
_INLINE_CRUMBS = re.compile(r"^\S[^.!?]{0,60}(?:\s+[›»>/|]\s+[^.!?]{1,80}){2,}$")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.*?)(?:\s+#+)?$")
_DATE_ONLY = re.compile(
    rf"^(?:(?:Stand|Datum|Veröffentlicht|Aktualisiert|Published|Updated|Date|Posted)\s*:?\s*(?:am|on)?\s*)?"
    rf"(?:[A-ZÄÖÜ][a-zäöüß]+,?\s+)?{DATE}{TIME}\.?$",
    re.IGNORECASE,
)
_GLUED_DATE = re.compile(rf"^(?:(?:date|datum|published|stand)\s*:?\s*)?({DATE}){TIME}\s*(?=\S)", re.IGNORECASE)
_LISTEN = re.compile(r"\s*\b(?:Artikel anhören|Listen to (?:this|the) article)\s*$", re.IGNORECASE)
_LEAD_BYLINE = re.compile(rf"^(?P<lead>.+?[.!?…\"“”»«])\s*(?P<author>{_NAMES})\s+(?P<date>{DATE}){TIME}\s*$")
_BYLINE_DATE = re.compile(rf"^(?P<author>{_NAMES})\s*[,|·–-]?\s*(?P<date>{DATE}){TIME}\s*$")
_BYLINE = re.compile(rf"^(?:Von|By|Text)\s*:?\s+(?P<author>{_NAMES})(?:\s*[,|/·–-]\s*(?P<rest>.+))?$")
_AUTHOR_LINE = re.compile(
    rf"^(?:[Aa]utor|[Aa]utorin|[Aa]utoren|[Aa]uthors?|AUTHOR|AUTOR|[Vv]erfasser|[Ww]ritten by)\s*:\s*"
    rf"(?P<author>{_NAMES})(?:\s*[,|/·–-]\s*(?P<rest>.+))?$"
)
_DESK = re.compile(r"^(?P<pub>.+?)[\s-]+(?:Redaktion|Newsroom|Staff|Editorial Team|Desk)\.?$", re.IGNORECASE)
_COPYRIGHT = re.compile(
    r"^(?:©|\(c\)|Copyright)\s*(?:©\s*)?(?:\d{4}\s*)?(?P<pub>[^.,;]{2,40}?)\.?"
    r"(?:\s+All rights reserved\.?|\s+Alle Rechte vorbehalten\.?)?$",
    re.IGNORECASE,
)
_CAPTION = re.compile(
    r"(?:^|[\s.(])(?:Foto|Fotos|Bild|Bilder|Photo|Photos|Image|Images|Picture|Credit|Bildquelle|Fotograf)"
    r"\s*:\s*(?P<credit>[^:]{1,160})$",
    re.IGNORECASE,
)
_PHOTO_BY = re.compile(r"\(?\b(?:Photo|Image|Picture)s?\s+(?:by|credit|courtesy of)\b[^.]{1,120}\)?$", re.IGNORECASE)
_URL = re.compile(r"https?://\S+")
_URL_LINE = re.compile(r"^(?:[-*•]\s+|\d{1,2}[.)]\s+)?(?:\[[^\]]*\]\()?<?(?P<url>https?://[^\s>)]+)>?\)?$")
_SOURCE_HEAD = re.compile(
    r"^(?:Quellenangabe|Quellenangaben|Quellen|Quelle|Sources?|References|Referenzen|Links|Weblinks)"
    r"\s*:?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_TAG_HEAD = re.compile(
    r"^(?:Verwandte Themen|Themen|Schlagworte|Schlagwörter|Tags|Related topics|Topics)\s*:?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_SELF_REFERENCE = re.compile(
    r"\b([A-ZÄÖÜ][\w]+)-(Korrespondent|Korrespondentin|Korrespondenten|Korrespondentinnen|Reporter|"
    r"Reporterin|Reporterinnen|Redakteur|Redakteurin|Redakteure|Redakteurinnen|Redaktion|Kolumnist|"
    r"Kolumnistin|Chefredakteur|Chefredakteurin|Autor|Autorin|Autoren)\b"
)

_JUNK_LINES = frozenset(
    {
        "artikel anhören", "listen to this article", "teilen", "share", "share this article", "drucken",
        "print", "merken", "kommentare", "comments", "weiterlesen", "read more", "mehr lesen", "zum artikel",
        "newsletter", "jetzt abonnieren", "abonnieren", "subscribe", "sign up", "anmelden", "login",
        "back to top", "nach oben", "menü", "menu", "suche", "search",
    }
)  # fmt: skip
_HOME_WORDS = frozenset({"startseite", "home", "homepage", "start", "übersicht", "news", "nachrichten"})
_AD_MARKERS = frozenset({"anzeige", "werbung", "advertisement", "ad", "sponsored", "gesponsert"})
_TRAILER_MARKERS = frozenset(
    {
        "mehr zum thema", "unsere partner", "das könnte sie auch interessieren", "auch interessant",
        "weitere artikel", "lesen sie auch", "meistgelesen", "meistgelesene artikel", "related articles",
        "related stories", "more on this topic", "more on this story", "recommended", "recommended for you",
        "you may also like", "you might also like", "read next", "most read", "most popular", "top stories",
    }
)  # fmt: skip

KNOWN_DOMAINS = {
    "handelsblatt.com": "Handelsblatt", "wallstreet-online.de": "wallstreetONLINE",
    "spiegel.de": "Der Spiegel", "faz.net": "FAZ", "sueddeutsche.de": "Süddeutsche Zeitung",
    "zeit.de": "Die Zeit", "welt.de": "Welt", "tagesschau.de": "tagesschau", "heise.de": "heise online",
    "golem.de": "Golem", "t3n.de": "t3n", "reuters.com": "Reuters", "apnews.com": "AP",
    "bloomberg.com": "Bloomberg", "ft.com": "Financial Times", "wsj.com": "The Wall Street Journal",
    "nytimes.com": "The New York Times", "theguardian.com": "The Guardian", "bbc.co.uk": "BBC",
    "bbc.com": "BBC", "cnbc.com": "CNBC", "techcrunch.com": "TechCrunch", "theverge.com": "The Verge",
}  # fmt: skip

_STOP_DE = frozenset(
    {
        "der", "die", "das", "und", "ist", "nicht", "ein", "eine", "einen", "dem", "den", "des", "mit",
        "sich", "auf", "für", "von", "zu", "im", "auch", "es", "wird", "werden", "sind", "hat", "haben",
        "dass", "wie", "bei", "nach", "noch", "aus", "über", "nur", "oder", "aber", "sie", "wir",
    }
)  # fmt: skip
_STOP_EN = frozenset(
    {
        "the", "and", "is", "are", "was", "were", "of", "to", "in", "that", "it", "for", "on", "with", "as",
        "by", "at", "from", "this", "be", "have", "has", "not", "an", "or", "but", "which", "their", "its",
        "will", "would", "they", "we",
    }
)  # fmt: skip


@dataclass
class Line:
    """One source line (edge whitespace trimmed); `heading` is set when markup says so (Markdown `#`)."""

    text: str
    heading: bool = False


@dataclass
class Cleaned:
    """The article body lines (blank lines kept as block separators) plus everything inferred."""

    lines: list[Line]
    title: str = ""
    author: str = ""
    publisher: str = ""
    published: str = ""
    teasers: list[Teaser] = field(default_factory=list)
    source_urls: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    language: str = ""


def words(text: str) -> list[str]:
    return [w for w in text.split() if any(c.isalnum() for c in w)]


def is_headline(text: str) -> bool:
    """A short line without sentence-final punctuation (a trailing `?` is allowed): a title or heading."""
    text = text.strip()
    if not text or _LIST_ITEM.match(text) or _URL.search(text):
        return False
    if not (text[0].isupper() or text[0].isdigit()):
        return False
    if text[-1] in ".,;:!…\"“”'’)»«" or len(text) > 140:
        return False
    return 1 <= len(words(text)) <= 15


def _key(text: str) -> str:
    """Comparison key that ignores spacing and punctuation (a kicker glued to a headline still matches)."""
    return "".join(c for c in text.casefold() if c.isalnum())


def _content_indexes(lines: list[Line]) -> list[int]:
    return [i for i, line in enumerate(lines) if line.text]


def clean(text: str, *, markdown: bool = False, title: str = "", url: str = "") -> Cleaned:
    """Strip boilerplate and infer metadata; `title`/`url` are what the file stated (used to match)."""
    lines = [Line(raw.strip()) for raw in text.split("\n")]
    if markdown:
        for line in lines:
            if m := _MD_HEADING.match(line.text):
                line.text, line.heading = m.group(1).strip(), True
    out = Cleaned(lines=lines, title=title)
    _strip_breadcrumbs(out)
    _strip_teasers(out)
    _strip_headline(out)
    _strip_top_bylines(out)
    _strip_boilerplate(out)
    _infer_publisher(out, url)
    out.language = detect_language(" ".join(line.text for line in out.lines))
    return out


def _strip_breadcrumbs(out: Cleaned) -> None:
    """Numbered nav lines `1. Startseite`, `2. Ressort`, … (or `Home › A › B`) opening the page."""
    idx = _content_indexes(out.lines)
    if not idx:
        return
    first = out.lines[idx[0]].text
    if _INLINE_CRUMBS.match(first) and len(words(first)) <= 20:
        crumbs = [c.strip() for c in re.split(r"\s+[›»>/|]\s+", first)]
        out.lines[idx[0]].text = ""
        _take_crumb_title(out, crumbs)
        return
    crumbs: list[str] = []
    used: list[int] = []
    for i in idx:
        m = _BREADCRUMB.match(out.lines[i].text)
        if not m or int(m.group(1)) != len(crumbs) + 1 or not is_headline(m.group(2)):
            break
        crumbs.append(m.group(2).strip())
        used.append(i)
    home = bool(crumbs) and _norm(crumbs[0]) in _HOME_WORDS
    if len(crumbs) < (2 if home else 3) or any(len(words(c)) > 4 for c in crumbs[:-1]):
        return
    for i in used:
        out.lines[i].text = ""
    _take_crumb_title(out, crumbs)


def _take_crumb_title(out: Cleaned, crumbs: list[str]) -> None:
    """The last breadcrumb is the article's title when it reads like one (a section name is 1–3 words)."""
    last = crumbs[-1]
    if not out.title and len(words(last)) >= 4:
        out.title = last


def _strip_teasers(out: Cleaned) -> None:
    """Headlines of other articles, each followed by its date, glued before this article's first line.

    Recognised when the run ends in a date glued without a space to the body text (`16/01/2026Zwei …`,
    that date is the article's) or when there are at least two headline/date pairs; a single
    `Headline / date` pair is the article's own title and date, handled later.
    """
    idx = _content_indexes(out.lines)
    pairs: list[tuple[int, int]] = []
    k = 0
    while k + 1 < len(idx) and is_headline(out.lines[idx[k]].text):
        nxt = out.lines[idx[k + 1]].text
        if _DATE_ONLY.match(nxt) or _GLUED_DATE.match(nxt):
            pairs.append((idx[k], idx[k + 1]))
            if not _DATE_ONLY.match(nxt):
                break
            k += 2
        else:
            break
    if not pairs:
        return
    last_date_line = out.lines[pairs[-1][1]]
    glued = _GLUED_DATE.match(last_date_line.text) if not _DATE_ONLY.match(last_date_line.text) else None
    tight = bool(re.match(rf"^{DATE}(?=[^\s\d])", last_date_line.text))  # no space: a scraping seam
    if len(pairs) < 2 and not (glued and tight):
        return
    for head, date_line in pairs:
        out.teasers.append(Teaser(title=out.lines[head].text, published=parse_date(out.lines[date_line].text)))
        out.lines[head].text = ""
        if out.lines[date_line] is not last_date_line or not glued:
            out.lines[date_line].text = ""
    if glued:
        out.published = out.published or parse_date(glued.group(1))
        last_date_line.text = last_date_line.text[glued.end() :].strip()


def _strip_headline(out: Cleaned) -> None:
    """Drop the page headline (it is the title, not a passage); take it as title when none is known.

    With a known title, the first line is dropped when it equals the title ignoring spacing and
    punctuation, which also catches a kicker glued to the headline (`KI-BriefingDeutschlands …`).
    Without one, a Markdown heading or a headline-shaped first line followed by a break is the title.
    """
    idx = _content_indexes(out.lines)
    if not idx:
        return
    first = out.lines[idx[0]]
    if out.title:
        if _same_headline(first.text, out.title):
            first.text = ""
        return
    if out.teasers:
        return
    followed_by_break = len(idx) == 1 or idx[1] > idx[0] + 1 or _is_top_meta(out.lines[idx[1]].text)
    if first.heading or (is_headline(first.text) and followed_by_break and len(words(first.text)) >= 3):
        out.title = _unglue_kicker(first.text)
        first.text = ""


def _same_headline(line: str, title: str) -> bool:
    """Equal ignoring spacing and punctuation, allowing a short kicker on either side only."""
    a, b = _key(line), _key(title)
    if not a or not b:
        return False
    longer, shorter = (a, b) if len(a) >= len(b) else (b, a)
    return longer.endswith(shorter) and len(longer) - len(shorter) <= 30 and len(shorter) >= 10


def _unglue_kicker(text: str) -> str:
    """`KickerHeadline words` (kicker glued without space) → `Kicker: Headline words`."""
    m = re.match(r"^(\S{3,30}?[a-zäöüß])([A-ZÄÖÜ][a-zäöüß]+\s.*)$", text)
    if m and not re.search(r"[a-z][A-Z]", m.group(1)) and len(words(text)) >= 4:
        return f"{m.group(1)}: {m.group(2)}"
    return text


def _is_top_meta(text: str) -> bool:
    return bool(_DATE_ONLY.match(text) or _BYLINE.match(text) or _BYLINE_DATE.match(text))


def _strip_top_bylines(out: Cleaned) -> None:
    """Author and date lines near the top, also when glued to the lead (`…Risiko.Name 16.01.2026 - 16:00 Uhr`)."""
    idx = _content_indexes(out.lines)[:TOP_LINES]
    for n, i in enumerate(idx):
        line = out.lines[i]
        text = _LISTEN.sub("", line.text).strip()
        if n == 0 and (m := _GLUED_DATE.match(text)) and not _DATE_ONLY.match(text):
            out.published = out.published or parse_date(m.group(1))
            line.text = text = text[m.end() :].strip()
        if _DATE_ONLY.match(text):
            out.published = out.published or parse_date(text)
            line.text = ""
        elif m := _BYLINE_DATE.match(text):
            out.author = out.author or m.group("author")
            out.published = out.published or parse_date(m.group("date"))
            line.text = ""
        elif m := _BYLINE.match(text):
            _take_author(out, m.group("author"), m.group("rest") or "")
            line.text = ""
        elif m := _LEAD_BYLINE.match(text):
            out.author = out.author or m.group("author")
            out.published = out.published or parse_date(m.group("date"))
            line.text = m.group("lead").strip()


def _take_author(out: Cleaned, author: str, rest: str) -> None:
    out.author = out.author or author.strip()
    rest = rest.strip()
    if date := parse_date(rest):
        out.published = out.published or date
    elif m := _DESK.match(rest):
        out.publisher = out.publisher or m.group("pub").strip()


def _norm(text: str) -> str:
    return re.sub(r"[^\w\s]", "", text.casefold()).strip()


def _strip_boilerplate(out: Cleaned) -> None:
    """One pass over the body for ads, captions, credits, source and tag lists, and trailing link farms."""
    lines = out.lines
    i = 0
    while i < len(lines):
        line = lines[i]
        text = _LISTEN.sub("", line.text).strip()
        if text != line.text:
            line.text = text
        if not text:
            i += 1
            continue
        norm = _norm(text)
        if norm in _TRAILER_MARKERS:
            rest = [j for j in range(i + 1, len(lines)) if lines[j].text]
            if all(len(words(lines[j].text)) <= 15 for j in rest):
                for j in range(i, len(lines)):
                    lines[j].text = ""
                break
            line.text = ""
        elif norm in _AD_MARKERS:
            line.text = ""
            j = i + 1
            while j < len(lines) and j <= i + 3 and lines[j].text and len(words(lines[j].text)) <= 15:
                if _norm(lines[j].text) in _AD_MARKERS:
                    break
                lines[j].text = ""
                j += 1
        elif norm in _JUNK_LINES:
            line.text = ""
        elif m := _AUTHOR_LINE.match(text):
            _take_author(out, m.group("author"), m.group("rest") or "")
            line.text = ""
        elif (m := _COPYRIGHT.match(text)) and len(words(text)) <= 10:
            out.publisher = out.publisher or m.group("pub").strip()
            line.text = ""
        elif (m := _SOURCE_HEAD.match(text)) and (_URL.search(m.group("rest")) or _next_is_url(lines, i)):
            out.source_urls += _URL.findall(m.group("rest"))
            line.text = ""
            j = i + 1
            while j < len(lines) and (not lines[j].text or _URL_LINE.match(lines[j].text)):
                if um := _URL_LINE.match(lines[j].text):
                    out.source_urls.append(um.group("url"))
                    lines[j].text = ""
                elif not _next_is_url(lines, j):
                    break
                j += 1
        elif m := _URL_LINE.match(text):
            out.source_urls.append(m.group("url"))
            line.text = ""
        elif m := _TAG_HEAD.match(text):
            _take_tags(out, lines, i, m.group("rest"))
        elif _is_caption(text):
            line.text = ""
        i += 1


def _next_is_url(lines: list[Line], i: int) -> bool:
    nxt = next((line.text for line in lines[i + 1 :] if line.text), "")
    return bool(_URL_LINE.match(nxt))


def _take_tags(out: Cleaned, lines: list[Line], i: int, rest: str) -> None:
    """`Verwandte Themen` + one short tag per line (or `Tags: a, b`) → tags, not passages."""
    if rest.strip():
        tags = [t.strip() for t in re.split(r"[,;|]", rest) if t.strip()]
        if all(len(words(t)) <= 5 for t in tags):
            out.tags += tags
            lines[i].text = ""
        return
    j = i + 1
    found: list[int] = []
    while j < len(lines) and lines[j].text and len(words(lines[j].text)) <= 5 and is_headline(lines[j].text):
        found.append(j)
        j += 1
    if found:
        out.tags += [lines[j].text for j in found]
        for j in [i, *found]:
            lines[j].text = ""


def _is_caption(text: str) -> bool:
    """A line ending in a photo credit (`… Foto: AFP`, `Photo by X/Getty Images`, `… [M]`)."""
    if m := _CAPTION.search(text):
        credit = m.group("credit").strip()
        return len(words(credit)) <= 12 and not re.search(r"[.!?]\s+[A-ZÄÖÜ]|[.!?]$", credit)
    if _PHOTO_BY.search(text) and len(words(text)) <= 40:
        return True
    return bool(re.search(r"(?:©|\[M\])\s*[^.!?]{0,60}$", text)) and len(words(text)) <= 40


def _infer_publisher(out: Cleaned, url: str) -> None:
    """Publisher from the article's own URL domain, else from recurring self-references in the text.

    `<Name>-Korrespondenten`, `<Name>-Reporterinnen`, `<Name>-Redaktion` … is how a newspaper refers to
    its own staff. One mention could be quoting another outlet, and one role repeated could be a place
    (`Washington-Korrespondent`), so the name must recur with two different roles (or three times).
    """
    if out.publisher:
        return
    if url:
        host = (urlparse(url).hostname or "").lower().removeprefix("www.")
        for domain, name in KNOWN_DOMAINS.items():
            if host == domain or host.endswith("." + domain):
                out.publisher = name
                return
    hits = _SELF_REFERENCE.findall("\n".join(line.text for line in out.lines))
    counts = Counter(name for name, _ in hits)
    if counts:
        name, n = counts.most_common(1)[0]
        roles = {role.lower()[:6] for hit, role in hits if hit == name}
        if n >= 3 or (n >= 2 and len(roles) >= 2):
            out.publisher = name


def detect_language(text: str) -> str:
    """`de` or `en` by stop-word counts; empty when there are too few hits or neither clearly wins."""
    tokens = re.findall(r"[a-zäöüß]+", text.lower())
    de = sum(t in _STOP_DE for t in tokens)
    en = sum(t in _STOP_EN for t in tokens)
    if max(de, en) < 5:
        return ""
    if de >= 2 * en:
        return "de"
    if en >= 2 * de:
        return "en"
    return ""
