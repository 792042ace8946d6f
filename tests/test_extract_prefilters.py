"""The extractors' shortcuts (substring prefilters before regexes) give exactly the full scan's results."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from newscorpus.bench.scale_corpus import generate_article, load_material
from newscorpus.extract import deals
from newscorpus.extract.textutil import sentence_spans
from newscorpus.ingest.store import load_articles

CORPUS = Path(__file__).resolve().parents[1] / "corpus"

# One or more phrases per alternative of every cue pattern, in mixed case, plus near misses.
CRAFTED = [
    "Joint Venture", "joint-venture", "das Gemeinschaftsunternehmen", "ÜBERNIMMT", "die Übernahme", "kauft",
    "Kaufen", "gekauft", "erwirbt", "Erwerben", "erworben", "acquires", "Acquired", "acquisition", "buys",
    "bought", "Takeover", "to buy", "Stromliefervertrag", "Lieferverträge", "Lieferabkommen",
    "Liefervereinbarung", "Dienstleistungsvertrag", "Abnahmevertrag", "supply deal", "Supply Agreement",
    "supply contract", "off-take", "Offtake", "power purchase agreement", "liefert", "Liefern", "to supply",
    "will supply", "supplies", "Finanzierungsrunde", "Series B", "Seed-Runde", "funding round",
    "financing round", "sammelt", "sammelte", "sammeln", "eingesammelt", "einsammeln", "raise", "raises",
    "raised", "raising", "Milliardenpartnerschaft", "partnership", "partners with", "Allianz", "alliance",
    "zusammengetan", "Zusammenschluss", "schlossen sich", "stieg im Jahr 2024 bei der Firma ein", "Einstieg",
    "schloss sich", "anschloss", "joins", "joined", "zum Technologiepartner", "investiert", "Investitionen",
    "Milliardeninvestition", "Investitionszusage", "Investitionszusagen", "invest", "invests", "invested",
    "investing", "investment", "steckt", "stecken", "bereitstellen", "beteiligt sich", "beteiligten sich",
    "Beteiligung", "stake", "Milliardenkooperation", "Zusammenarbeit", "cooperation", "collaboration",
    "baut mit", "bauen  mit", "entwickelt mit", "entwickeln mit", "arbeitet mit", "Arbeiten mit",
    "Rahmenvertrag", "Verträge", "Vereinbarung", "Vereinbarungen", "Abkommen", "Milliarden-Deal",
    "Megadeal", "agreement", "Deal", "schließen einen Vertrag mit der Firma ab", "schloss den Vertrag ab",
    "signs", "signed",
    # characters whose lower-case form is not what IGNORECASE matches them to
    "İnvestition", "Beteılıgung", "ſtake", "zuſammenarbeit",
    # near misses
    "Kaufhaus", "Lieferung", "Partei", "Vertragsentwurf", "Investor", "Signal", "Stakeholder", "Deals",
]


def _full_scan(text: str) -> tuple[dict[str, float], int, str]:
    """What `_cues` computes, with every pattern run over the whole text."""
    scores: dict[str, float] = {}
    first, word = len(text), ""
    for cue in deals.CUES:
        for m in cue.pattern.finditer(text):
            scores[cue.type] = scores.get(cue.type, 0) + cue.weight
            if m.start() < first:
                first, word = m.start(), m.group(0)
    return scores, first, word


def _sentences() -> list[str]:
    material = load_material(CORPUS)
    articles = [*load_articles(CORPUS), *(generate_article(material, i) for i in range(60))]
    return [p.text[b:e] for a in articles for p in a.passages() for b, e in sentence_spans(p.text)]


@pytest.mark.parametrize("text", CRAFTED)
def test_cue_prefilter_matches_full_scan_on_crafted_phrases(text: str) -> None:
    for sample in (text, f"Die Firma {text} heute.", text.upper(), text.lower()):
        assert deals._cues(sample) == _full_scan(sample), sample


def test_cue_prefilter_matches_full_scan_on_corpus_sentences() -> None:
    sentences = _sentences()
    found = 0
    for s in sentences:
        full = _full_scan(s)
        assert deals._cues(s) == full, s
        found += bool(full[0])
    assert 0 < found < len(sentences)


def test_every_cue_match_holds_an_anchor() -> None:
    for text in [*CRAFTED, *_sentences()]:
        for cue in deals.CUES:
            for m in cue.pattern.finditer(text):
                low = m.group(0).lower()
                assert any(a in low for a in cue.anchors) or deals._FOLD_UNSAFE.intersection(m.group(0)), (
                    m.group(0), cue.type,
                )


def test_fold_unsafe_lists_every_character_lower_does_not_fold_like_ignorecase() -> None:
    everything = "".join(chr(i) for i in range(sys.maxunicode + 1) if not 0xD800 <= i < 0xE000)
    letters = {c for cue in deals.CUES for a in cue.anchors for c in a}
    unsafe = {
        c for letter in letters for c in re.findall(re.escape(letter), everything, re.IGNORECASE)
        if c.lower() != letter
    }
    assert unsafe <= deals._FOLD_UNSAFE
