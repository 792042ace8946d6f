"""The built-in `baseline` agent: deterministic, no model, so the harness runs offline and in CI.

It does what a careful but literal reader would: search with the question's content words, read the
passages the tools return (plus the deal that best matches, for questions about amounts), pick the
sentence that shares the most words with the question, and answer with the part of that sentence the
question type asks for (an amount, a number, a date, a percentage) or else the sentence itself, citing
the passage. When no sentence supports an answer of the asked type, it says the corpus does not state it.
Only generic heuristics: nothing here knows the question set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from newscorpus.evaluation.matching import normalize, tokens
from newscorpus.evaluation.records import AgentTask
from newscorpus.evaluation.session import ToolSession
from newscorpus.extract.money import parse_amounts
from newscorpus.extract.textutil import sentence_spans

Intent = Literal["amount", "count", "date", "percent", "comparison", "text"]

SEARCH_LIMIT = 3
STEM = 6
MIN_OVERLAP = 2.0
RELATIVE_OVERLAP = 0.5
CANDIDATES = 5
STOPWORDS = frozenset(
    {
        "der", "die", "das", "den", "dem", "des", "ein", "eine", "einer", "eines", "einem", "einen", "und", "oder",
        "in", "im", "ins", "am", "an", "auf", "aus", "bei", "bis", "durch", "fur", "gegen", "mit", "nach", "seit",
        "von", "vor", "zu", "zum", "zur", "uber", "unter", "um", "wie", "was", "wer", "wen", "wem", "wessen", "welche",
        "welcher", "welches", "welchen", "welchem", "wann", "wo", "warum", "ist", "sind", "war", "waren", "wird",
        "werden", "wurde", "wurden", "hat", "haben", "hatte", "hatten", "sich", "sie", "er", "es", "ihr", "ihre",
        "ihren", "seine", "seiner", "seinen", "laut", "viel", "viele", "mehr", "noch", "nur", "auch", "als", "dass",
        "daraufhin", "derzeit", "genau", "jeweils", "artikel", "artikels", "korpus", "nennt", "genannt", "dieses",
        "diese", "dieser", "the", "a", "and", "or", "of", "on", "at", "to", "for", "from", "by", "with",
        "as", "is", "are", "were", "be", "been", "has", "have", "had", "did", "does", "do", "how", "much",
        "many", "what", "which", "who", "whom", "whose", "when", "where", "why", "according", "article", "articles",
        "corpus", "its", "their", "it", "this", "that", "these", "those", "into", "about", "than", "more", "most",
        "exactly", "name", "named", "names", "list", "all"
    }
)
_AMOUNT_Q = re.compile(
    r"\b(wie viel|how much|betrag|volumen|kapital|capital|how many dollars|wie hoch|beläuft)\b", re.I
)
_COUNT_Q = re.compile(r"\b(wie viele|how many)\b", re.I)
_DATE_Q = re.compile(r"\b(wann|when|welchem jahr|which year|what year|welchem monat|which month|tag)\b", re.I)
_PERCENT_Q = re.compile(r"\b(prozent|percent|anteil|share)\b", re.I)
_COMPARE_Q = re.compile(
    r"\b(größer|groesser|larger|bigger|mehr|wertvoller|more valuable|higher|höher)\b.*\b(oder|or)\b", re.I
)
_MONTHS = (
    "januar|january|februar|february|märz|march|april|mai|may|juni|june|juli|july|august|september|oktober|"
    "october|november|dezember|december"
)
_DATE = re.compile(rf"\b(?:(?:{_MONTHS})\s+)?(?:19|20)\d\d\b", re.I)
_PERCENT = re.compile(r"\b\d+(?:[.,]\d+)?\s?(?:%|Prozent|percent)", re.I)
_NUMBER = re.compile(
    r"\b(?:\d+(?:[.,]\d+)?|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|two|three|four|five|six|"
    r"seven|eight|nine|ten|eleven|twelve|fünfzig|fifty|hundert|hundred)\b",
    re.I,
)


def intent_of(question: str) -> Intent:
    if _COMPARE_Q.search(question):
        return "comparison"
    if _PERCENT_Q.search(question) and not _COMPARE_Q.search(question):
        return "percent"
    if _COUNT_Q.search(question) and not re.search(r"how many dollars", question, re.I):
        return "count"
    if _AMOUNT_Q.search(question):
        return "amount"
    if _DATE_Q.search(question):
        return "date"
    return "text"


def keywords(question: str) -> list[str]:
    """Content words of the question, in order, without repeats (folded)."""
    seen: dict[str, None] = {}
    for tok in tokens(question):
        if tok not in STOPWORDS and len(tok) > 1 and not tok.isdigit():
            seen.setdefault(tok)
    return list(seen)


def names(question: str) -> set[str]:
    """Folded words written with a capital (or as an acronym) after the first word: likely names."""
    words = re.findall(r"[^\W\d_][\w-]*", question)[1:]
    return {tok for word in words if word[0].isupper() for tok in tokens(word)}


def _stem(word: str) -> str:
    return word[:STEM]


@dataclass(frozen=True)
class Sentence:
    passage_id: str
    text: str
    overlap: float


def _sentences(passages: dict[str, str], keys: list[str], named: set[str]) -> list[Sentence]:
    """Every sentence of the passages, scored by the question words it shares (names count double)."""
    stems = {_stem(k): (2.0 if k in named else 1.0) for k in keys}
    out = []
    for pid, text in passages.items():
        for start, end in sentence_spans(text) or [(0, len(text))]:
            sentence = text[start:end].strip()
            present = {_stem(t) for t in tokens(sentence)}
            out.append(Sentence(pid, sentence, sum(w for s, w in stems.items() if s in present)))
    # best overlap first; ties keep the order the tools returned (their ranking)
    return sorted(out, key=lambda s: -s.overlap)


def _typed_item(intent: Intent, sentence: str, unit_stems: set[str]) -> str | None:
    if intent == "amount":
        amounts = parse_amounts(sentence)
        return amounts[0].text if amounts else None
    if intent == "percent":
        found = _PERCENT.search(sentence)
        return found.group(0) if found else None
    if intent == "date":
        found = _DATE.search(sentence)
        return found.group(0) if found else None
    if intent == "count":
        return _number_with_unit(sentence, unit_stems)
    return sentence


def _number_with_unit(sentence: str, unit_stems: set[str]) -> str | None:
    """The first number (not a year) in the sentence, with the word after it when the question names that
    word ("50 Petaflops", "sechs US-Unternehmen"); a range like "75–100 GW" is kept whole."""
    for m in _NUMBER.finditer(sentence):
        if _DATE.fullmatch(m.group(0)):
            continue
        rest = re.match(r"(\s*[–-]\s*\d+(?:[.,]\d+)?)?\s+([^\W\d_][\w-]*)", sentence[m.end():])
        if rest is None:
            return m.group(0)
        unit = rest.group(2)
        if _stem(normalize(unit).split(" ")[0]) in unit_stems or unit.isupper():
            return m.group(0) + rest.group(0)
        return m.group(0) + (rest.group(1) or "")
    return None


class BaselineAgent:
    """Search → read → extract. See the module docstring."""

    name = "baseline"

    async def answer(self, task: AgentTask, tools: ToolSession) -> str:
        keys = keywords(task.question)
        intent = intent_of(task.question)
        passages: dict[str, str] = {}
        found = await tools.call("search_articles", {"query": " ".join(keys) or task.question, "limit": SEARCH_LIMIT})
        for hit in (found.data or {}).get("results", []) if not found.is_error else []:
            for p in hit.get("passages", []):
                passages.setdefault(p["passage_id"], p["text"])
        if intent in ("amount", "comparison"):
            await self._read_deal(task, keys, tools, passages)
        ranked = _sentences(passages, keys, names(task.question))
        if intent == "comparison":
            return self._compare(task, ranked)
        best = ranked[0].overlap if ranked else 0.0
        # sentences nearly as relevant as the best one; a figure of the asked type is taken from the first
        sentences = [s for s in ranked if s.overlap >= max(MIN_OVERLAP, RELATIVE_OVERLAP * best)][:CANDIDATES]
        unit_stems = {_stem(k) for k in keys}
        for sentence in sentences:
            item = _typed_item(intent, sentence.text, unit_stems)
            if item:
                return f"{item} [{sentence.passage_id}]"
        return self._not_found(task, sentences)

    async def _read_deal(self, task: AgentTask, keys: list[str], tools: ToolSession, passages: dict[str, str]) -> None:
        """The best-matching deal's evidence quotes and amount passages join the candidate passages."""
        deal = await tools.call("get_deal", {"query": " ".join(keys) or task.question})
        if deal.is_error or not deal.data:
            return
        wanted = {a["passage_id"] for a in deal.data.get("amounts", []) if a.get("passage_id")}
        for ev in deal.data.get("evidence", []):
            wanted.add(ev["passage_id"])
        by_article: dict[str, list[int]] = {}
        for pid in sorted(wanted - passages.keys()):
            article_id, _, local = pid.partition("#")
            if local.startswith("p") and local[1:].isdigit():
                by_article.setdefault(article_id, []).append(int(local[1:]))
        for article_id, numbers in by_article.items():
            read = await tools.call("get_article", {"article_id": article_id, "passages": numbers})
            for p in (read.data or {}).get("passages", []) if not read.is_error else []:
                passages.setdefault(p["passage_id"], p["text"])

    def _compare(self, task: AgentTask, ranked: list[Sentence]) -> str:
        """'A or B': the option whose best sentence states the larger amount; else the best sentence."""
        sentences = [s for s in ranked if s.overlap >= MIN_OVERLAP]
        match = re.search(r"[,:]?\s*([^,:?]+?)\s+(?:oder|or)\s+([^,?]+)\?*\s*$", task.question)
        if match:
            values = []
            for option in match.groups():
                option_keys = {_stem(k) for k in keywords(option)}
                for s in ranked:
                    amounts = parse_amounts(s.text)
                    if amounts and option_keys & {_stem(t) for t in tokens(s.text)}:
                        values.append((max(a.value for a in amounts), option.strip(), s))
                        break
            if len(values) == 2 and values[0][0] != values[1][0]:
                big, small = sorted(values, key=lambda v: -v[0])
                return (
                    f"{big[1]} [{big[2].passage_id}] (larger than {small[1]} [{small[2].passage_id}])"
                )
        return f"{sentences[0].text} [{sentences[0].passage_id}]" if sentences else self._not_found(task, sentences)

    def _not_found(self, task: AgentTask, sentences: list[Sentence]) -> str:
        cite = f" [{sentences[0].passage_id}]" if sentences else ""
        if task.language == "de":
            return f"Nicht im Korpus: die gefundenen Passagen nennen das nicht{cite}."
        return f"Not in the corpus: the passages found do not state it{cite}."
