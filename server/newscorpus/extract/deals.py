"""Automatic deal extraction: a transaction cue plus parties (and amounts) close to it.

Works sentence by sentence, so a deal found in one article is cited to the sentence(s) that state it.
A candidate needs a cue and either two organisations or one organisation and a deal amount, looked for
first in the cue's clause, then in its sentence, then (for anaphoric cues such as "Die Partnerschaft")
in the sentence before, which may sit in the previous passage. Candidates about the same parties in one
article are merged; the more signals agree, the higher the confidence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from newscorpus.extract import deal_ids
from newscorpus.extract.entities import EntityResult, Span
from newscorpus.extract.money import parse_amounts
from newscorpus.extract.textutil import fold_safe, matches_near, occurrences, sentence_spans, slugify
from newscorpus.models import DEAL_TYPES, Amount, Article, Deal, DealType, Entity, Evidence, Party, Passage


class Cue(NamedTuple):
    """A deal cue. Every match of `pattern` contains one of `anchors` (lower case), so a text whose
    lower-cased form holds none of them is not searched: a substring test is far cheaper than the pattern."""

    pattern: re.Pattern[str]
    type: DealType
    weight: float
    anchors: tuple[str, ...]


# Compounds are matched inside words (`Milliardenkooperation`).
_I = re.IGNORECASE
CUES: list[Cue] = [
    Cue(re.compile(r"joint[ -]venture|gemeinschaftsunternehmen", _I), "joint_venture", 3,
        ("joint", "gemeinschaftsunternehmen")),
    Cue(re.compile(r"\bübernimmt\b|\bübernehmen\b|\bübernommen\b|übernahme\b|\bkauft\b|\bkaufen\b|"
                   r"\bgekauft\b|\berwirbt\b|\berwerben\b|\berworben\b|\bacquir(?:e|es|ed|ing)\b|"
                   r"\bacquisition\b|\bbuys\b|\bbought\b|\btakeover\b|\bto buy\b", _I), "acquisition", 3,
        ("übernimmt", "übernehmen", "übernommen", "übernahme", "kauf", "erwirbt", "erwerben", "erworben", "acqui",
         "buys", "bought", "takeover", "to buy")),
    Cue(re.compile(r"\w*liefer(?:vertrag|verträge|abkommen|vereinbarung)|\w*leistungsvertrag|abnahmevertrag|"
                   r"\bsupply (?:deal|agreement|contract)|\boff-?take\b|power purchase agreement|"
                   r"\bliefert\b|\bliefern\b|\bto supply\b|\bwill supply\b|\bsupplies\b", _I),
        "supply_contract", 2.5,
        ("liefer", "leistungsvertrag", "abnahmevertrag", "suppl", "offtake", "off-take", "power purchase agreement")),
    Cue(re.compile(r"finanzierungsrunde|\bseries [a-f]\b|seed-runde|\bfunding round\b|\bfinancing round\b", _I),
        "funding_round", 3, ("finanzierungsrunde", "series ", "seed-runde", "funding round", "financing round")),
    Cue(re.compile(r"\bsammel(?:t|te|n)\b|\beingesammelt\b|\beinsammeln\b|\braise[sd]?\b|\braising\b", _I),
        "funding_round", 1.5, ("sammel", "raise", "raising")),
    Cue(re.compile(r"\w*partnerschaft\w*|\bpartnership\b|\bpartners with\b|\ballianz\b|\balliance\b|"
                   r"zusammengetan|zusammenschl\w+|\bschlossen sich\b|\bstieg\w* .{0,60}\bein\b|\beinstieg\b|"
                   r"\bschloss sich\b|\banschloss\b|\bjoin(?:s|ed)\b|\bzum \w*partner\b", _I), "partnership", 2,
        ("partner", "allianz", "alliance", "zusammengetan", "zusammenschl", "stieg", "schloss", "join")),
    Cue(re.compile(r"\binvestier\w*|\w*investition(?:en)?\b|\w*investitionszusagen?\b|\binvest(?:s|ed|ing)?\b|"
                   r"\binvestment\b|\bsteck(?:t|en)\b|\bbereitstellen\b|\bbeteiligt\w* sich\b|\bbeteiligung\b|"
                   r"\bstake\b", _I), "investment", 1.5,
        ("invest", "steck", "bereitstellen", "beteiligt", "beteiligung", "stake")),
    Cue(re.compile(r"\w*kooperation\w*|\bzusammenarbeit\b|\bcooperation\b|\bcollaborat\w+|"
                   r"\b(?:baut|bauen|entwickelt|entwickeln)\s+mit\b|\barbeite\w*\s+mit\b", _I), "cooperation", 1.5,
        ("kooperation", "zusammenarbeit", "cooperation", "collaborat", "baut", "bauen", "entwickel", "arbeite")),
    Cue(re.compile(r"\w*vertrag\b|\w*verträge\b|\bvereinbarung(?:en)?\b|\babkommen\b|\w*-?deal\b|\bagreement\b|"
                   r"\bdeal\b|\bschließ\w*\b.{0,80}\bab\b|\bschloss\w*\b.{0,80}\bab\b|\bsign(?:s|ed)\b", _I),
        "other", 1,
        ("vertrag", "verträge", "vereinbarung", "abkommen", "deal", "agreement", "schließ", "schloss", "sign")),
]

# "Die Partnerschaft", "diese neue Kooperation", "the deal": the cue noun refers back to the sentence before.
_ANAPHORIC = re.compile(r"\b(?:die|diese|dieser|diesem|der|das|dieses|ihre|ihrer|ihren|the|this|that|its|their)"
                        r"\s+(?:[a-zäöü][\w-]*\s+){0,2}$", _I)
_ENGLISH_CUE_NOUNS = {"deal", "partnership", "agreement", "alliance", "cooperation", "collaboration", "contract",
                      "investment", "acquisition", "joint venture", "takeover"}
# Names after "wie", "such as" … are examples of a kind, not parties to a deal.
_EXAMPLES = re.compile(r"\b(?:wie|such as|etwa|including|darunter|zum beispiel|z\.\s?b\.)\s", _I)
_LIST_GLUE = re.compile(r"^(?:\s|,|\bund\b|\band\b|\bsowie\b|\boder\b|\bor\b|&)*$", _I)

# Amount role from words near it; first match wins, so specific phrases come before general ones.
AMOUNT_ROLES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"registrierten kapital|stammkapital|grundkapital|registered capital", _I), "registered_capital"),
    (re.compile(r"verwalte\w*|vermögenswerte|assets under management|\bAuM\b|manages", _I),
     "assets_under_management"),
    (re.compile(r"börsenwert|marktkapitalisierung|market (?:cap|value)|börsenbewertung", _I), "market_cap"),
    (re.compile(r"bewert\w*|valuation|valued", _I), "valuation"),
    (re.compile(r"umsatz|revenue|erlös", _I), "revenue"),
    (re.compile(r"kaufpreis|purchase price|für rund|for about|for\b|übernimmt|acquir", _I), "price"),
    (re.compile(r"eigenkapital|equity", _I), "equity"),
    (re.compile(r"sammel\w*|eingesammelt|raise[sd]?|raising|finanzierungsrunde|funding", _I), "raised"),
    (re.compile(r"\bziel\w*|strebt|anstreb|target|aims?|goal|zugreifen|insgesamt", _I), "target"),
    (re.compile(r"investi\w*|steck\w*|bereitstell\w*|invest", _I), "investment"),
    (re.compile(r"vertrag|volumen|im wert von|worth|contract", _I), "contract_value"),
]
_NOT_DEAL_AMOUNT = {"market_cap", "revenue"}
_CONTEXT_AMOUNT = {"assets_under_management"}  # kept on the deal, but no evidence that a deal exists

_MONTHS = {
    "januar": 1, "january": 1, "februar": 2, "february": 2, "märz": 3, "march": 3, "april": 4, "mai": 5,
    "may": 5, "juni": 6, "june": 6, "juli": 7, "july": 7, "august": 8, "september": 9, "oktober": 10,
    "october": 10, "november": 11, "dezember": 12, "december": 12,
}
_DATE = re.compile(r"\b(?:(\d{1,2})\.?\s+)?(" + "|".join(_MONTHS) + r")\s+(\d{4})\b", _I)
_PAST_DATE_CUE = re.compile(r"\b(?:bis|until|by)\s+$", _I)

_STATUS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"abgeschlossen|completed|\bclosed\b|vollzogen", _I), "completed"),
    (re.compile(r"\bplan\w*|\bwill\b|\bwollen\b|\bsoll\w*\b|\bintends?\b|\bto be\b|geplant", _I), "planned"),
]

TYPE_LABELS = {t: t.replace("_", " ") for t in DEAL_TYPES}


@dataclass
class _Sentence:
    passage: Passage
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.passage.text[self.start:self.end]


@dataclass
class _Candidate:
    article: Article
    parties: list[Span]
    amounts: list[Amount]
    cue_types: dict[DealType, float]
    sentences: list[_Sentence]
    cue_pos: int
    in_clause: bool
    roles: dict[str, str] = field(default_factory=dict)

    @property
    def party_ids(self) -> set[str]:
        return {p.entity_id for p in self.parties}


_CUE_ANCHORS = tuple(sorted({a for cue in CUES for a in cue.anchors}))

# Every cue match starts at most this many characters ("will ", "zum ") before the run of word characters and
# hyphens that leads up to one of its anchors ("Milliarden-Deal", "eingesammelt", "will supply").
_CUE_REACH = 5


class _CueScan:
    """The cues of one text (a passage) and of any part of it (a sentence, a clause), as if each part were
    scanned on its own with every cue pattern.

    On fold-safe text the anchors are looked up once for the whole text: a part can only match the cues
    with an anchor inside it, and a pattern is tried with `match` only at offsets from which such an anchor
    is within reach (see _CUE_REACH), in order and resuming after each match as `finditer` does. A search
    would try every offset, and the patterns' leading `\\w*` makes each try cost the rest of the word."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.safe = fold_safe(text)
        self._low = text.lower() if self.safe else ""
        self._anchors: list[tuple[Cue, list[tuple[int, int]]]] = []
        if self.safe:
            found: dict[str, list[tuple[int, int]]] = {}
            for start, end in occurrences(self._low, _CUE_ANCHORS):
                found.setdefault(self._low[start:end], []).append((start, end))
            for cue in CUES:
                at = sorted(x for a in cue.anchors for x in found.get(a, ()))
                if at:
                    self._anchors.append((cue, at))

    def cues(self, lo: int = 0, hi: int | None = None) -> tuple[dict[DealType, float], int, str]:
        """For `text[lo:hi]`: cue scores per deal type, and position and wording of the first cue."""
        hi = len(self.text) if hi is None else hi
        scores: dict[DealType, float] = {}
        first, word = hi - lo, ""
        for cue, matches in self._matches(lo, hi):
            for m in matches:
                scores[cue.type] = scores.get(cue.type, 0) + cue.weight
                if m.start() < first:
                    first, word = m.start(), m.group(0)
        return scores, first, word

    def _matches(self, lo: int, hi: int) -> Iterator[tuple[Cue, Iterator[re.Match[str]]]]:
        part = self.text[lo:hi]
        if not self.safe:
            for cue in CUES:
                yield cue, cue.pattern.finditer(part)
            return
        for cue, found in self._anchors:
            starts = sorted({s - lo for s, e in found if lo <= s and e <= hi})
            if starts:
                yield cue, matches_near(cue.pattern, part, starts, low=self._low, lo=lo, reach=_CUE_REACH)


def _cues(text: str) -> tuple[dict[DealType, float], int, str]:
    """Cue scores per deal type, and position and wording of the first cue."""
    return _CueScan(text).cues()


def _anaphoric(before: str, cue_word: str) -> bool:
    noun = cue_word[:1].isupper() or cue_word.lower() in _ENGLISH_CUE_NOUNS
    return noun and bool(_ANAPHORIC.search(before))


_CLAUSE_CUT = re.compile(r"[,;:–—](?=\s)\s*|\s[-–—]\s")  # not inside "12,5"
_LIST_GLUE_WORDS = re.compile(r"\b(?:und|and|sowie|or|oder|&)\b|[,;:–—\s-]")
_WITH_AFTER_CUE = re.compile(r"\S*\s+(?:mit|with)\s")
_LED_BY = re.compile(r"led by|angeführt (?:von|vom)|unter (?:der )?führung (?:von|vom|des|der)", _I)


def _clauses(text: str, spans: list[Span]) -> list[tuple[int, int]]:
    """Split at , ; : – but keep lists of names (`BlackRock, Microsoft, MGX und GIP`) together."""
    cuts = [m.end() for m in _CLAUSE_CUT.finditer(text)]
    bounds = list(zip([0, *cuts], [*cuts, len(text)], strict=True))

    def names_only(b: int, e: int) -> bool:
        rest = text[b:e]
        for s in spans:
            if b <= s.start and s.end <= e:
                rest = rest.replace(s.surface, " ")
        return bool(spans) and _LIST_GLUE_WORDS.sub("", rest) == ""

    merged: list[list[int]] = []
    glue_next = False
    for b, e in bounds:
        if merged and (glue_next or names_only(b, e)):
            merged[-1][1] = e
        else:
            merged.append([b, e])
        glue_next = names_only(b, e)
    return [(b, e) for b, e in merged]


def _is_example(s: Span, spans: list[Span], text: str) -> bool:
    """True for `Google` and `AMD` in `Tech-Riesen wie Google und AMD`."""
    window_start = max(0, s.start - 80)
    hits = list(_EXAMPLES.finditer(text, window_start, s.start))
    if not hits:
        return False
    between = text[hits[-1].end():s.start]
    for other in spans:
        if hits[-1].end() <= other.start and other.end <= s.start:
            between = between.replace(other.surface, " ")
    return bool(_LIST_GLUE.match(between))


def _orgs(spans: list[Span], text: str, ranges: list[tuple[int, int]]) -> list[Span]:
    return [
        s for s in spans
        if s.type == "organization"
        and any(lo <= s.start and s.end <= hi for lo, hi in ranges)
        and not _is_example(s, spans, text)
    ]


def _mask(text: str, spans: list[Span]) -> str:
    """Entity names blanked out, so `Kuwait Investment Authority` does not read as an investment cue."""
    for s in spans:
        text = text[:s.start] + " " * (s.end - s.start) + text[s.end:]
    return text


def amount_role(text: str, start: int, end: int) -> str:
    """Role of an amount from the words just before it (preferred) or just after it."""
    before = text[max(0, start - 70):start]
    after = text[end:end + 60]
    for window in (before, after):
        for rx, role in AMOUNT_ROLES:
            if rx.search(window):
                return role
    return "value"


def _amounts(passage: Passage, lo: int, hi: int, spans: list[Span], masked_text: str | None = None) -> list[Amount]:
    """Deal amounts in `passage.text[lo:hi]`; `masked_text`, if given, is `_mask(passage.text, spans)`."""
    text = passage.text[lo:hi]
    masked = (_mask(passage.text, spans) if masked_text is None else masked_text)[lo:hi]
    out = []
    for a in parse_amounts(text, passage.passage_id):
        pos = text.find(a.text)
        role = amount_role(masked, pos, pos + len(a.text)) if pos >= 0 else "value"
        if role not in _NOT_DEAL_AMOUNT:
            out.append(a.model_copy(update={"role": role, "passage_id": passage.passage_id}))
    return out


def _enough(parties: list[Span], amounts: list[Amount]) -> bool:
    deal_amounts = [a for a in amounts if a.role not in _CONTEXT_AMOUNT]
    return len({p.entity_id for p in parties}) >= 2 or (len(parties) >= 1 and bool(deal_amounts))


def _sentences(article: Article) -> list[list[_Sentence]]:
    """Body sentences as one run (adjacent across passages); each teaser headline as its own run."""
    body: list[_Sentence] = []
    runs: list[list[_Sentence]] = []
    for p in article.passages():
        sents = [_Sentence(p, b, e) for b, e in sentence_spans(p.text)]
        if p.kind == "teaser":
            runs.append(sents)
        else:
            body.extend(sents)
    return [body, *runs]


def _candidates(article: Article, spans: dict[str, list[Span]]) -> list[_Candidate]:
    out: list[_Candidate] = []
    scans: dict[str, _CueScan] = {}
    masked: dict[str, str] = {}
    amounts_in: dict[tuple[str, int, int], list[Amount]] = {}  # a quiet clause serves every cue of its sentence

    def clause_amounts(passage: Passage, lo: int, hi: int, passage_spans: list[Span]) -> list[Amount]:
        pid = passage.passage_id
        if (pid, lo, hi) not in amounts_in:
            if pid not in masked:
                masked[pid] = _mask(passage.text, passage_spans)
            amounts_in[pid, lo, hi] = _amounts(passage, lo, hi, passage_spans, masked[pid])
        return amounts_in[pid, lo, hi]

    for run in _sentences(article):
        for i, sent in enumerate(run):
            pid = sent.passage.passage_id
            if pid not in scans:
                scans[pid] = _CueScan(sent.passage.text)
            scan = scans[pid]
            if not scan.cues(sent.start, sent.end)[0]:
                continue
            all_spans = spans.get(sent.passage.passage_id, [])
            pspans = [
                Span(s.entity_id, s.type, s.start - sent.start, s.end - sent.start, s.surface)
                for s in all_spans
                if sent.start <= s.start and s.end <= sent.end
            ]
            clauses = _clauses(sent.text, pspans)
            clause_cues = {(b, e): scan.cues(sent.start + b, sent.start + e) for b, e in clauses}
            # Clauses with a cue of their own are separate statements ("Microsoft steckt …, Google plant …").
            quiet = [(b, e) for b, e in clauses if not clause_cues[b, e][0]]
            for b, e in clauses:
                ccues, cpos, cword = clause_cues[b, e]
                if not ccues:
                    continue
                parties = _orgs(pspans, sent.text, [(b, e)])
                amounts = [
                    a for lo, hi in sorted({(b, e), *quiet})
                    for a in clause_amounts(sent.passage, sent.start + lo, sent.start + hi, all_spans)
                ]
                used = [sent]
                in_clause = _enough(parties, amounts)
                if not in_clause:
                    parties = _orgs(pspans, sent.text, [(b, e), *quiet])
                if not _enough(parties, amounts) and i > 0 and _anaphoric(sent.text[: b + cpos], cword):
                    prev = run[i - 1]
                    prev_spans = [
                        Span(s.entity_id, s.type, s.start - prev.start, s.end - prev.start, s.surface)
                        for s in spans.get(prev.passage.passage_id, [])
                        if prev.start <= s.start and s.end <= prev.end
                    ]
                    parties = _orgs(prev_spans, prev.text, [(0, len(prev.text))]) + parties
                    used = [prev, sent]
                mit = _WITH_AFTER_CUE.match(sent.text, b + cpos)
                if mit and len(used) == 1 and not any(p.start < b + cpos for p in parties):
                    # "Partnerschaften mit OpenAI und Microsoft": the other side is the subject, which a
                    # list item leaves to its lead-in line ("NVIDIAs strategische Rolle umfasst :").
                    lead = sent.passage.text.split("\n", 1)[0]
                    subject = [
                        s for s in spans.get(sent.passage.passage_id, [])
                        if s.type == "organization" and s.end <= len(lead) and sent.start >= len(lead)
                    ][:1]
                    if not subject:
                        continue
                    parties = subject + parties
                if not _enough(parties, amounts):
                    continue
                out.append(_Candidate(article, parties, amounts, ccues, used, b + cpos, in_clause))
    return out


def _assign_roles(c: _Candidate, dtype: DealType) -> dict[str, str]:
    """Who is on which side of the cue: acquirer/target, investor/investee, company/investor …"""
    sides = {
        "acquisition": ("acquirer", "target"),
        "investment": ("investor", "investee"),
        "funding_round": ("company", "investor"),
        "supply_contract": ("supplier", "customer"),
    }
    generic = "partner" if dtype in ("partnership", "joint_venture", "cooperation") else "party"
    last = c.sentences[-1]
    before = {s.entity_id for s in c.parties if s.start < c.cue_pos} if len(c.sentences) == 1 else set()
    after = c.party_ids - before
    roles = {eid: generic for eid in c.party_ids}
    if dtype in sides and before and after:
        for eid in before:
            roles[eid] = sides[dtype][0]
        for eid in after:
            roles[eid] = sides[dtype][1]
    elif dtype in sides and len(c.party_ids) == 1:
        roles = {eid: sides[dtype][0] for eid in c.party_ids}
    if dtype == "funding_round":
        for s in c.parties:
            lead = last.text[max(0, s.start - 60):s.start]
            if _LED_BY.search(lead):
                roles[s.entity_id] = "lead_investor"
    return roles


def _merge(cands: list[_Candidate]) -> list[list[_Candidate]]:
    """Group candidates of one article that share two parties, or have the same single party and type."""
    groups: list[list[_Candidate]] = []
    for c in cands:
        for g in groups:
            ids = set().union(*(x.party_ids for x in g))
            same_single = (
                len(c.party_ids) == 1
                and c.party_ids <= ids
                and max(c.cue_types, key=c.cue_types.__getitem__)
                == max(g[0].cue_types, key=g[0].cue_types.__getitem__)
            )
            if len(c.party_ids & ids) >= 2 or same_single:
                g.append(c)
                break
        else:
            groups.append([c])
    return groups


def _date(text: str) -> str | None:
    for m in _DATE.finditer(text):
        if _PAST_DATE_CUE.search(text[max(0, m.start() - 8):m.start()]):
            continue
        day, month, year = m.group(1), _MONTHS[m.group(2).lower()], m.group(3)
        return f"{year}-{month:02d}-{int(day):02d}" if day else f"{year}-{month:02d}"
    return None


def _deal_from_group(
    group: list[_Candidate], names: dict[str, Entity], spans: dict[str, list[Span]]
) -> Deal:
    article = group[0].article
    scores: dict[DealType, float] = {}
    for c in group:
        for t, w in c.cue_types.items():
            scores[t] = scores.get(t, 0) + w
    dtype = max(scores, key=lambda t: (scores[t], -DEAL_TYPES.index(t)))

    order: list[str] = []
    roles: dict[str, str] = {}
    for c in group:
        for eid, role in _assign_roles(c, dtype).items():
            if eid not in roles or roles[eid] in ("party", "partner"):
                roles[eid] = role
        for s in c.parties:
            if s.entity_id not in order:
                order.append(s.entity_id)
    parties = [Party(entity_id=eid, name=names[eid].name, role=roles[eid]) for eid in order]

    sentences: list[_Sentence] = []
    for c in group:
        for s in c.sentences:
            if not any(s.passage.passage_id == x.passage.passage_id and s.start == x.start for x in sentences):
                sentences.append(s)
    amounts: list[Amount] = []
    for c in group:
        for a in c.amounts:
            if not any(a.passage_id == x.passage_id and a.text == x.text for x in amounts):
                amounts.append(a)

    locations: list[str] = []
    for s in sentences:
        for sp in spans.get(s.passage.passage_id, []):
            if sp.type == "location" and s.start <= sp.start and sp.end <= s.end:
                name = names[sp.entity_id].name
                if name not in locations:
                    locations.append(name)

    first = sentences[0].passage
    default_date = article.teasers[first.n - 1].published if first.kind == "teaser" else article.published
    announced = next((d for s in sentences if (d := _date(s.text))), None) or default_date
    joined = " ".join(s.text for s in sentences)
    status = next((st for rx, st in _STATUS if rx.search(joined)), "announced")

    signals = 0.35
    signals += 0.15 if len(parties) >= 2 else 0
    signals += 0.15 if amounts else 0
    signals += 0.1 if dtype != "other" else 0
    signals += 0.1 if any(c.in_clause for c in group) else 0
    signals += min(0.1, 0.05 * (len(sentences) - 1))
    confidence = round(min(0.95, signals), 2)

    shown = [p.name for p in parties[:3]] + ([f"+{len(parties) - 3}"] if len(parties) > 3 else [])
    title = f"{' – '.join(shown)}: {TYPE_LABELS[dtype]}"
    evidence = [
        Evidence(passage_id=s.passage.passage_id, article_id=s.passage.article_id, quote=s.text.strip())
        for s in sentences
    ]
    return Deal(
        deal_id=slugify(" ".join([*(p.name for p in parties[:3]), dtype])),  # `deal_ids` makes it unique
        title=title,
        type=dtype,
        status=status,
        announced=announced,
        parties=parties,
        amounts=amounts,
        locations=locations,
        summary=sentences[0].text.strip()[:300],
        evidence=evidence,
        provenance="extracted",
        confidence=confidence,
    )


def extract_deals(articles: list[Article], found: EntityResult) -> list[Deal]:
    """Deals the rules find in every article, in article order, with stable ids (`deal_ids`)."""
    names = found.by_id()
    per_article = []
    for article in articles:
        deals = [_deal_from_group(group, names, found.spans) for group in _merge(_candidates(article, found.spans))]
        per_article.append((article.id, deal_ids.in_article(article.id, deals)))
    return deal_ids.across_articles(per_article)


def _unique_deal_ids(deals: list[Deal], taken: set[str]) -> list[Deal]:
    """Each deal's id, or the first of id-2, id-3 … not yet taken. A repeated id resumes from the number
    its last repeat got (every lower one is still taken), instead of trying them all again: the generated
    corpora repeat some ids hundreds of times, which made this quadratic."""
    out = []
    last: dict[str, int] = {}
    for d in deals:
        n = last.get(d.deal_id, 1)
        did = d.deal_id if n == 1 else f"{d.deal_id}-{n}"
        while did in taken:
            n += 1
            did = f"{d.deal_id}-{n}"
        last[d.deal_id] = n
        taken.add(did)
        out.append(d if did == d.deal_id else d.model_copy(update={"deal_id": did}))
    return out


def duplicates_curated(extracted: Deal, curated: Deal) -> bool:
    """Same parties (two shared, or the extracted deal's only party) and at least one shared passage."""
    ex = {p.entity_id for p in extracted.parties if p.entity_id}
    cu = {p.entity_id for p in curated.parties if p.entity_id}
    shared = ex & cu
    same_parties = len(shared) >= 2 or (len(ex) == 1 and ex <= cu)
    passages: Callable[[Deal], set[str]] = lambda d: {e.passage_id for e in d.evidence}  # noqa: E731
    return same_parties and bool(passages(extracted) & passages(curated))


def covered_by_curated(extracted: Deal, curated: list[Deal]) -> bool:
    """Every passage and every party of the extracted deal is already in curated deals citing those passages."""
    passages = {e.passage_id for e in extracted.evidence}
    citing = [c for c in curated if passages & {e.passage_id for e in c.evidence}]
    cited = {e.passage_id for c in citing for e in c.evidence}
    parties = {p.entity_id for c in citing for p in c.parties}
    return bool(citing) and passages <= cited and {p.entity_id for p in extracted.parties} <= parties


def merge_with_curated(curated: list[Deal], extracted: list[Deal]) -> list[Deal]:
    """Curated deals first; extracted ones that duplicate curated deals are dropped, the rest renamed if
    their id collides with a curated id. Both tests need a passage a curated deal cites: a deal citing
    none is kept without them (most deals, at 100 000 articles a few hundred thousand)."""
    cited = {e.passage_id for c in curated for e in c.evidence}
    kept = [
        d for d in extracted
        if not any(e.passage_id in cited for e in d.evidence)
        or (not any(duplicates_curated(d, c) for c in curated) and not covered_by_curated(d, curated))
    ]
    return curated + _unique_deal_ids(kept, taken={c.deal_id for c in curated})
