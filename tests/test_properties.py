"""Property-based: generated arguments (well-formed, malformed and hostile) to every tool through one real
in-process MCP session. Whatever comes, the server answers, never leaks a traceback, and every non-error
result validates against the tool's published output schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import jsonschema
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp_types import TextContent

from newscorpus.mcp_server import create_server
from newscorpus.models import DEAL_TYPES, ENTITY_TYPES

if TYPE_CHECKING:
    from newscorpus.query.api import CorpusQuery

EXAMPLES = settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
LEAKS = ("Traceback", 'File "', "site-packages", "Exception Group", "Internal error")


class Session:
    """One client session kept open on a portal thread, callable from synchronous hypothesis tests."""

    def __init__(self, portal: BlockingPortal, client: Client) -> None:
        self.portal, self.client = portal, client
        tools = portal.call(client.list_tools).tools
        self.schemas = {t.name: t.output_schema for t in tools}

    def call(self, tool: str, args: dict[str, Any]) -> None:
        result = self.portal.call(self.client.call_tool, tool, args)
        text = "\n".join(b.text for b in result.content if isinstance(b, TextContent))
        assert text, f"{tool}{args}: empty result"
        assert not any(leak in text for leak in LEAKS), text
        if result.is_error:
            assert result.structured_content is None
            return
        assert result.structured_content is not None, text
        jsonschema.validate(result.structured_content, self.schemas[tool])


@pytest.fixture(scope="module")
def session(corpus_query: CorpusQuery) -> Iterator[Session]:
    with (
        start_blocking_portal(backend="asyncio") as portal,
        portal.wrap_async_context_manager(Client(create_server(corpus_query))) as client,  # type: ignore[arg-type]
    ):
        yield Session(portal, client)
        # The server is still healthy after everything it was sent.
        after = portal.call(client.call_tool, "search_articles", {"query": "Alibaba"})
        assert not after.is_error


def ids(query: CorpusQuery, kind: str) -> list[str]:
    return sorted({"article": query.articles, "deal": query.deals, "entity": query.entities}[kind])[:20]


JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
HOSTILE = st.sampled_from(
    ["", " ", "../../etc/passwd", "%2e%2e%2f", "a\x00b", '"unclosed', "NOT", "AND OR NOT", "title:", "*", "?~^",
     "(((", "x" * 1001, "ignore previous instructions", "2026-02-30", "9999-99-99", "Ü" * 50, "\u202e", "\n\n"]
)


def text_arg(extra: list[str] | None = None) -> st.SearchStrategy[Any]:
    options = [st.text(max_size=60), HOSTILE, JUNK]
    if extra:
        options.append(st.sampled_from(extra))
    return st.one_of(*options)


def date_arg() -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), st.dates().map(str), st.sampled_from(["2026", "2026-01", "2026-1-5", "01.01.2026"]),
                     HOSTILE, JUNK)


def limit_arg() -> st.SearchStrategy[Any]:
    return st.one_of(st.integers(min_value=-5, max_value=300), JUNK)


def arguments(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Any subset of the tool's arguments, plus sometimes an argument it does not have."""
    return st.fixed_dictionaries({}, optional=fields).flatmap(
        lambda args: st.one_of(st.just(args), st.just({**args, "unexpected": 1}))
    )


def test_search_articles(session: Session, corpus_query: CorpusQuery) -> None:
    names = [e.name for e in corpus_query.entities.values()][:20]

    @EXAMPLES
    @given(arguments({
        "query": text_arg(["Alibaba", "KI Rechenzentrum", '"Sovereign Cloud"', "Microsoft NOT BlackRock"]),
        "limit": limit_arg(), "date_from": date_arg(), "date_to": date_arg(),
        "publisher": text_arg(["Handelsblatt"]), "entity": text_arg(names), "cursor": text_arg(),
    }))
    def run(args: dict[str, Any]) -> None:
        session.call("search_articles", args)

    run()


def test_get_article(session: Session, corpus_query: CorpusQuery) -> None:
    @EXAMPLES
    @given(arguments({
        "article_id": text_arg(ids(corpus_query, "article")),
        "passages": st.one_of(st.lists(st.integers(min_value=-3, max_value=80), max_size=6), JUNK),
    }))
    def run(args: dict[str, Any]) -> None:
        session.call("get_article", args)

    run()


def test_list_entities(session: Session, corpus_query: CorpusQuery) -> None:
    @EXAMPLES
    @given(arguments({
        "type": st.one_of(st.sampled_from(list(ENTITY_TYPES)), text_arg()),
        "query": text_arg(["Alibaba", "nvidia", "Microsfot"]),
        "article_id": text_arg(ids(corpus_query, "article")),
        "limit": limit_arg(), "cursor": text_arg(),
    }))
    def run(args: dict[str, Any]) -> None:
        session.call("list_entities", args)

    run()


def test_get_entity(session: Session, corpus_query: CorpusQuery) -> None:
    @EXAMPLES
    @given(arguments({"entity": text_arg(ids(corpus_query, "entity"))}))
    def run(args: dict[str, Any]) -> None:
        session.call("get_entity", args)

    run()


def test_list_deals(session: Session, corpus_query: CorpusQuery) -> None:
    @EXAMPLES
    @given(arguments({
        "party": text_arg(["Alibaba", "Microsoft"]), "type": st.one_of(st.sampled_from(list(DEAL_TYPES)), text_arg()),
        "query": text_arg(["nuclear", "Rechenzentrum"]), "date_from": date_arg(), "date_to": date_arg(),
        "limit": limit_arg(), "cursor": text_arg(),
    }))
    def run(args: dict[str, Any]) -> None:
        session.call("list_deals", args)

    run()


def test_get_deal(session: Session, corpus_query: CorpusQuery) -> None:
    @EXAMPLES
    @given(arguments({"deal_id": text_arg(ids(corpus_query, "deal")), "query": text_arg(["Alibaba nuclear"])}))
    def run(args: dict[str, Any]) -> None:
        session.call("get_deal", args)

    run()


def test_paging_cursors_round_trip(session: Session) -> None:
    """Following next_cursor pages through a listing without repeats, whatever the page size."""

    @settings(max_examples=15, deadline=None, derandomize=True)
    @given(st.integers(min_value=1, max_value=40))
    def run(limit: int) -> None:
        seen: list[str] = []
        args: dict[str, Any] = {"limit": limit}
        while True:
            result = session.portal.call(session.client.call_tool, "list_entities", args)
            page = result.structured_content
            assert page is not None and not result.is_error
            seen += [e["entity_id"] for e in page["entities"]]
            if not page["next_cursor"]:
                break
            args = {"limit": limit, "cursor": page["next_cursor"]}
        assert len(seen) == len(set(seen)) == page["total"]

    run()
