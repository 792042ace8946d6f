"""Scripted agent evaluation: a question set, agents run over a real MCP transport, and a scorer for
answer correctness, citation validity and support, retrieval recall and cost (tool calls, errors, time).

Modules, in the order data flows: `questions` (the gold question set), `matching` (normalized comparison
of answers, figures and names), `records` (what a run produces), `session` (a recording MCP tool session and
the transports), `baseline` (the built-in model-free agent), `agents` (choosing an agent by name), `scorer`,
`runner`, `report` (JSON + Markdown), and `inspect_task` (the same scorer for any model via Inspect AI).
"""
