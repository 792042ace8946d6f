"""Choosing an agent by name: `baseline`, or `package.module:attribute` for your own.

An agent is any object with `name` and `async answer(task: AgentTask, tools: ToolSession) -> str`; the
answer cites passages as `[passage_id]`. A `module:attribute` may name such an object, or a class or
function that returns one when called without arguments.
"""

from __future__ import annotations

import importlib
from typing import Protocol, runtime_checkable

from newscorpus.evaluation.baseline import BaselineAgent
from newscorpus.evaluation.records import AgentTask
from newscorpus.evaluation.session import ToolSession

BUILT_IN = {"baseline": BaselineAgent}


@runtime_checkable
class Agent(Protocol):
    name: str

    async def answer(self, task: AgentTask, tools: ToolSession) -> str: ...


class AgentError(ValueError):
    """An agent name that does not resolve to an agent."""


def load_agent(name: str) -> Agent:
    if name in BUILT_IN:
        return BUILT_IN[name]()
    module_name, _, attribute = name.partition(":")
    if not attribute:
        raise AgentError(f"unknown agent {name!r}: use one of {', '.join(BUILT_IN)} or package.module:attribute")
    try:
        target = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise AgentError(f"cannot load agent {name!r}: {exc}") from None
    agent = target() if isinstance(target, type) or not isinstance(target, Agent) else target
    if not isinstance(agent, Agent):
        raise AgentError(f"{name!r} is not an agent: it needs `name` and `async answer(task, tools) -> str`")
    return agent
