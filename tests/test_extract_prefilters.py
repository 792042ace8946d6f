"""The extractors' shortcuts (substring prefilters before regexes) give exactly the full scan's results."""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

import pytest

from newscorpus.bench.scale_corpus import generate_article, load_material
from newscorpus.extract import deals, entities, money
from newscorpus.extract.annotations import load_gazetteer
from newscorpus.extract.textutil import FOLD_UNSAFE, fold_safe, sentence_spans
from newscorpus.ingest.store import load_articles
from newscorpus.models import Amount

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


def _passages() -> list[str]:
    material = load_material(CORPUS)
    articles = [*load_articles(CORPUS), *(generate_article(material, i) for i in range(60))]
    return [p.text for a in articles for p in a.passages()]


def _sentences() -> list[str]:
    return [text[b:e] for text in _passages() for b, e in sentence_spans(text)]


@pytest.mark.parametrize("text", CRAFTED)
def test_cue_prefilter_matches_full_scan_on_crafted_phrases(text: str) -> None:
    for sample in (text, f"Die Firma {text} heute.", text.upper(), text.lower()):
        assert deals._cues(sample) == _full_scan(sample), sample


def test_cue_scan_of_a_passage_matches_full_scans_of_its_sentences_and_clauses() -> None:
    sentences = found = 0
    for text in _passages():
        scan = deals._CueScan(text)
        assert scan.cues() == _full_scan(text)
        for b, e in sentence_spans(text):
            full = _full_scan(text[b:e])
            assert scan.cues(b, e) == full, text[b:e]
            for cut in range(b, e, 23):
                assert scan.cues(b, cut) == _full_scan(text[b:cut]), text[b:cut]
                assert scan.cues(cut, e) == _full_scan(text[cut:e]), text[cut:e]
            sentences += 1
            found += bool(full[0])
    assert 0 < found < sentences


def test_every_cue_match_holds_an_anchor() -> None:
    for text in [*CRAFTED, *_sentences()]:
        for cue in deals.CUES:
            for m in cue.pattern.finditer(text):
                low = m.group(0).lower()
                assert any(a in low for a in cue.anchors) or not fold_safe(m.group(0)), (
                    m.group(0), cue.type,
                )


def test_fold_unsafe_holds_every_character_ignorecase_folds_unlike_lower() -> None:
    """Brute force over all cased code points: each character whose re.IGNORECASE class mixes lower-case
    forms, or whose lower-case form is two characters, is in FOLD_UNSAFE (or is the ASCII member of such a
    class), and nothing else is."""
    everything = [chr(i) for i in range(sys.maxunicode + 1) if not 0xD800 <= i < 0xE000]
    unsafe = {c for c in everything if len(c.lower()) != 1}
    cased = "".join(c for c in everything if c.lower() != c or c.upper() != c or c.casefold() != c or c.title() != c)
    seen: set[str] = set()
    for c in cased:
        if c in seen:
            continue
        same = set(re.findall(re.escape(c), cased, re.IGNORECASE))
        seen |= same
        if len({x.lower() for x in same}) > 1:
            unsafe |= same
    assert {c for c in unsafe if not c.isascii()} == set(FOLD_UNSAFE)
    assert not fold_safe("Beteılıgung") and fold_safe("Übernahme für 3 Mrd. €") and fold_safe("plain")


# Labels with word-initial punctuation, short capitals (case-sensitive), several words, hyphens, a repeated
# word, leading white space (rules can find such names), and characters lower-casing does not fold like
# re.IGNORECASE.
CRAFTED_LABELS = ["AT&T", "E.ON", "SAP", "Data Data", "Open AI", "Meyer-Werft", ".NET", "İnan", "Kıvanç", "ſiemens",
                  "Deutsche Bank", "Bank", " Disrupt\nEnergie", " Innovatoren\nZiel",
                  # names sharing first, inner and last words (labels are keyed by their rarest word)
                  "Philipp", "Philipp Alvares", "Philipp Alvares de Souza Soares", "Philipp de Souza", "Anna Souza",
                  "Alvares de Souza", "Souza Soares", "Philipps Werk"]
CRAFTED_TEXTS = [
    "AT&T und E.ON: SAPs Plan, sap nicht. Data Data Data. OPEN   AI's Modell, Open-AI nicht.",
    "Die Meyer-Werft, die Meyer-Werfts und Meyer Werft. .NET und ASP.NET. İnan, Inan, inan, Kıvanç, KIVANÇ.",
    "Siemens, ſiemens und SIEMENS; Deutsche Bank, Deutsche Banks, Bank’s, Banks' und Bankhaus.",
    "Eine Zeile ohne Namen.",
    "Tech Disrupt\nEnergie und Disrupts Energie; die Innovatoren Ziel, İnnovatoren\nZiel.",
    "Philipp Alvares de Souza Soares' Text, Philipps Alvares, Philipp  Alvares de Souza, Anna Souzas Plan, "
    "Philipps Werk und Philipp de Souza Soares; Alvares de Souza Soares.",
]


def _label_index(names: list[str], every_label: bool, ignore_case: bool = True) -> entities._LabelIndex:
    return entities._LabelIndex(
        [(n, entities._Label(f"e{i}", "organization", entities._label_pattern(n, ignore_case=ignore_case)))
         for i, n in enumerate(names)],
        every_label=every_label,
    )


def _key(span: entities.Span) -> tuple[int, int, str]:
    return span.start, span.end, span.entity_id


@pytest.mark.parametrize("ignore_case", [True, False], ids=["gazetteer", "rule-found"])
@pytest.mark.parametrize("every_label", [False, True])
def test_label_index_finds_what_the_patterns_find(every_label: bool, ignore_case: bool) -> None:
    gazetteer = load_gazetteer(CORPUS / "annotations")
    names = [label for e in gazetteer.entities for label in (e.name, *e.aliases)] + CRAFTED_LABELS
    index = _label_index(names, every_label, ignore_case)
    texts = [*CRAFTED_TEXTS, *_passages()]
    hits = 0
    for text in texts:
        tried = index._labels if every_label else index.candidates(text)
        expected = sorted(entities._finditer_labels(text, tried), key=_key)
        assert sorted(index.find(entities._Words(text)), key=_key) == expected, text
        hits += len(expected)
    assert hits > len(texts)


RULE_TEXTS = [
    "Die Siemens Energy AG, die Allianz SE, Bayer KGaA, Acme Inc. und Acme Corp., Foo Ltd, Bar LLC, Baz plc, "
    "Qux PLC, Big Tech Holdings, Data Group, Philips N.V. und Banco S.A. sowie die Müller GmbH & Co. KG.",
    "Die Bosch-Gruppe, der Siemens-Konzern, die Adani-Holding und die Tata-Group.",
    "Der Chipkonzern Nvidia, das Start-up Polarise, das Startup Aleph Alpha, der Finanzinvestor Blackstone, die "
    "Hausbank Sparkasse, der Rivale AMD, the chipmaker Intel, the startup Mistral, the fund KKR, the giant Google.",
    "AWS-Chef Matt Garman, CEO Sam Altman und Greg Brockman, Chief Executive Officer Jensen Huang, Gründerin Anna "
    "Schmidt, Geschäftsführer Peter Müller, Sprecherin Eva Braun, Präsident Emmanuel Macron, founder Elon Musk.",
    "Autor: Hans Meier. Autorin: Julia Klein. Author: John Smith. Von: Karl Berg. By: Jane Doe.",
    "Satya Nadella, der Chef von Microsoft, sagte es. Lisa Su, the chief executive, said. "
    "Mira Murati arbeitet als Managerin. Tim Cook serves as president.",
    "Die Firma mit Sitz in München, headquartered in Boston, based in Paris, im bayerischen Garching, "
    "ein Berlin-based Start-up.",
]


def test_rule_anchors_skip_only_passages_without_matches() -> None:
    texts = [*RULE_TEXTS, *_passages()]
    matched: set[re.Pattern[str]] = set()
    for text in texts:
        read = entities._RuleText(text)
        for rule in entities.RULES:
            full = [(m.span(), m.groups()) for m in rule.pattern.finditer(text)]
            assert [(m.span(), m.groups()) for m in rule.finditer(read)] == full, (rule.pattern.pattern, text)
            for m in rule.pattern.finditer(text):
                matched.add(rule.pattern)
                haystack = m.group(0).lower() if rule.lower else m.group(0)
                assert any(a in haystack for a in rule.anchors), (m.group(0), rule.anchors)
    assert matched == {rule.pattern for rule in entities.RULES}


def test_cue_matches_equal_finditer_on_random_compounds() -> None:
    """Texts glued from cue phrases, word pieces, hyphens and spaces (a fixed seed): every cue pattern finds
    the same matches through the anchor-near tries as through a plain finditer."""
    rng = random.Random(7)
    pieces = [*CRAFTED, *(a for cue in deals.CUES for a in cue.anchors), "Milliarden", "Strom", "-", " ", "  ",
              ", ", "zum ", "will ", "to ", "s", "en", "ab", "ein", "mit", "sich", "x", "Die", "\n", "ſ"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        scan = deals._CueScan(text)
        for lo in (0, len(text) // 3):
            expected = {
                cue.pattern: [(m.span(), m.group(0)) for m in cue.pattern.finditer(text[lo:])] for cue in deals.CUES
            }
            got = {
                cue.pattern: [(m.span(), m.group(0)) for m in matches] for cue, matches in scan._matches(lo, len(text))
            }
            assert {t: v for t, v in got.items() if v} == {t: v for t, v in expected.items() if v}, text[lo:]


def _all_amounts(text: str) -> list[Amount]:
    """`parse_amounts` without its prefilter."""
    out: list[Amount] = []
    pos = 0
    while (m := money._AMOUNT_RE.search(text, pos)) is not None:
        amount = money._amount(m, "")
        if amount is None:
            pos = m.start() + 1
            continue
        out.append(amount)
        pos = m.start() + len(amount.text)
    return out


def test_money_prefilter_skips_only_texts_without_amounts() -> None:
    forms = [f for table in (money.PREFIX_CURRENCIES, money.SUFFIX_CURRENCIES, money.SCALES) for f, _, _ in table]
    numbers = ["3", "12,5", "1.250", "vier", "eine", "a", "two and a half", "$5", "€2.5m"]
    texts = [f"rund {n} {f}" for n in numbers for f in forms] + [f"{n}-{f}-Deal" for n in numbers for f in forms]
    texts += [*_passages(), "Die Firma setzt 5 Millionen ſchnell um", "vıer Milliarden", "2030 werden es 12 Tausend"]
    found = 0
    for text in texts:
        expected = _all_amounts(text)
        assert money.parse_amounts(text) == expected, text
        found += bool(expected)
    assert 0 < found < len(texts)


def test_rule_matches_equal_finditer_on_random_compounds() -> None:
    """Texts glued from role words, descriptor nouns, names, hyphens and spaces (a fixed seed): every rule
    finds the same matches as a plain finditer of its pattern."""
    rng = random.Random(11)
    words = [a for rule in entities.RULES for a in rule.anchors]
    pieces = [*words, *(w.capitalize() for w in words), "Matt", "Garman", "Anna", "von", "Polarise", "Nvidia",
              "AWS", "Tech", "Chip", "-", " ", "  ", ", ", ": ", "s", "der ", " als ", " und ", "x", "\n", "İ"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        read = entities._RuleText(text)
        for rule in entities.RULES:
            expected = [(m.span(), m.groups()) for m in rule.pattern.finditer(text)]
            assert [(m.span(), m.groups()) for m in rule.finditer(read)] == expected, (rule.pattern.pattern, text)


def test_unique_deal_ids_resume_where_the_last_repeat_stopped() -> None:
    """The same ids as trying -2, -3 … from the start for every deal, with ids that collide across bases."""
    from newscorpus.extract.deals import _unique_deal_ids
    from newscorpus.models import Deal

    rng = random.Random(3)
    ids = [rng.choice(["x", "x-2", "x-3", "y", "x-2-2", "z-10", "z"]) for _ in range(300)]
    taken = {"x-4", "y", "z-3", "x-2-3"}
    expected, seen = [], set(taken)
    for base in ids:
        did, n = base, 1
        while did in seen:
            n += 1
            did = f"{base}-{n}"
        seen.add(did)
        expected.append(did)
    deals = [Deal.model_construct(deal_id=i) for i in ids]
    assert [d.deal_id for d in _unique_deal_ids(deals, taken=set(taken))] == expected
    assert len(set(expected)) == len(expected)
