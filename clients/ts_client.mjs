#!/usr/bin/env node
// An agent session on the official MCP TypeScript SDK, printed as one JSON document on stdout.
//
//   node ts_client.mjs stdio COMMAND [ARGS...]     start the server and talk over stdio
//   node ts_client.mjs http URL                   talk Streamable HTTP to a running server
//
// It lists tools, resources, templates and prompts, calls every tool (ids taken from earlier results,
// as an agent would), calls one tool with a wrong id, reads resources, asks for id completions and gets
// the prompt. The Python test suite runs it against the newscorpus server and asserts on the output.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport, getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [mode, target, ...rest] = process.argv.slice(2);
if (!["stdio", "http"].includes(mode) || !target) {
  console.error("usage: node ts_client.mjs stdio COMMAND [ARGS...] | node ts_client.mjs http URL");
  process.exit(2);
}

const transport =
  mode === "stdio"
    ? new StdioClientTransport({ command: target, args: rest, env: { ...getDefaultEnvironment(), ...process.env }, stderr: "inherit" })
    : new StreamableHTTPClientTransport(new URL(target));
const client = new Client({ name: "newscorpus-ts-conformance", version: "1.0.0" });

function summarize(result) {
  return {
    isError: result.isError ?? false,
    text: result.content.filter((b) => b.type === "text").map((b) => b.text).join("\n"),
    resourceLinks: result.content.filter((b) => b.type === "resource_link").map((b) => b.uri),
    structuredContent: result.structuredContent ?? null,
  };
}

const out = { transport: mode, calls: {} };
try {
  await client.connect(transport);
  const info = client.getServerVersion();
  out.server = { name: info?.name, version: info?.version, instructions: client.getInstructions() ?? "" };
  out.protocolVersion = transport.protocolVersion ?? null;

  const { tools } = await client.listTools();
  out.tools = tools.map((t) => ({
    name: t.name,
    readOnly: t.annotations?.readOnlyHint ?? null,
    hasOutputSchema: Boolean(t.outputSchema),
    required: t.inputSchema?.required ?? [],
  }));
  out.resources = (await client.listResources()).resources.map((r) => r.uri);
  out.templates = (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
  out.prompts = (await client.listPrompts()).prompts.map((p) => ({ name: p.name, arguments: (p.arguments ?? []).map((a) => a.name) }));

  const call = async (key, name, args) => {
    const result = summarize(await client.callTool({ name, arguments: args }));
    out.calls[key] = { tool: name, arguments: args, ...result };
    return result;
  };
  const search = await call("search_articles", "search_articles", { query: "Alibaba Joint Venture", limit: 3 });
  const hit = search.structuredContent.results[0];
  const n = Number(hit.passages[0].passage_id.split("#p")[1]);
  await call("get_article", "get_article", { article_id: hit.article_id, passages: [n] });
  const entities = await call("list_entities", "list_entities", { query: "Alibaba", limit: 5 });
  await call("get_entity", "get_entity", { entity: entities.structuredContent.entities[0].entity_id });
  const deals = await call("list_deals", "list_deals", { party: "Alibaba", limit: 5 });
  const dealId = deals.structuredContent.deals[0].deal_id;
  await call("get_deal", "get_deal", { deal_id: dealId });
  await call("get_article_unknown_id", "get_article", { article_id: hit.article_id.slice(0, -3) });
  await call("list_deals_bad_limit", "list_deals", { limit: 1000 });

  const article = await client.readResource({ uri: `newscorpus://articles/${hit.article_id}` });
  out.article_resource = { uri: article.contents[0].uri, mimeType: article.contents[0].mimeType, text: article.contents[0].text };
  const stats = await client.readResource({ uri: "newscorpus://stats" });
  out.stats_resource = JSON.parse(stats.contents[0].text);
  try {
    await client.readResource({ uri: `newscorpus://deals/${dealId}-nope` });
    out.missing_resource_error = null;
  } catch (err) {
    out.missing_resource_error = String(err.message ?? err);
  }

  const completion = await client.complete({
    ref: { type: "ref/resource", uri: "newscorpus://deals/{deal_id}" },
    argument: { name: "deal_id", value: dealId.slice(0, 5) },
  });
  out.completion = { prefix: dealId.slice(0, 5), values: completion.completion.values, hasMore: completion.completion.hasMore ?? false };

  const prompt = await client.getPrompt({ name: "answer_with_citations", arguments: { question: "Wer gründete was?" } });
  out.prompt = prompt.messages.map((m) => ({ role: m.role, text: m.content.type === "text" ? m.content.text : "" }));
  out.ok = true;
} catch (err) {
  out.ok = false;
  out.error = String(err?.stack ?? err);
} finally {
  await client.close().catch(() => {});
}
process.stdout.write(JSON.stringify(out, null, 2) + "\n");
process.exit(out.ok ? 0 : 1);
