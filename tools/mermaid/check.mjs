// Parses Mermaid diagrams with Mermaid's own parser, in Node (jsdom stands in for the browser's DOM).
//
// stdin: a JSON array of diagram texts. stdout: a JSON array with, for each diagram, either
//   {"ok": false, "error": "..."}  (the parser's message), or
//   {"ok": true, "type": "flowchart-v2", "vertices": {id: {"lines": [...], "shape": ...}},
//    "edges": [[from, to, [label lines]]], "subgraphs": [{"id", "lines", "nodes", "dir"}]}
// for flowcharts, the text as Mermaid will show it: entity codes (#quot;, #35;) decoded and labels split
// at <br>. Exit 0 when every diagram parsed, 1 otherwise, 2 when the input is not a JSON array of strings.
import { JSDOM } from "jsdom";

const dom = new JSDOM("");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });

const NAMED = { quot: '"', amp: "&", lt: "<", gt: ">", apos: "'", nbsp: "\u00a0" };

// Mermaid swaps entity codes for placeholders before parsing (and back when it draws): undo that.
function lines(text) {
  const decoded = String(text ?? "")
    .replace(/ﬂ°°(\d+)¶ß/g, (_, code) => String.fromCodePoint(Number(code)))
    .replace(/ﬂ°(\w+)¶ß/g, (whole, name) => NAMED[name] ?? whole);
  return decoded.split(/<br\s*\/?>/i);
}

function structure(db) {
  const vertices = {};
  const raw = db.getVertices();
  for (const [id, vertex] of raw instanceof Map ? raw.entries() : Object.entries(raw)) {
    vertices[id] = { lines: lines(vertex.text), shape: vertex.type ?? null };
  }
  const edges = db.getEdges().map((edge) => [edge.start, edge.end, edge.text ? lines(edge.text) : []]);
  const subgraphs = db.getSubGraphs().map((s) => ({ id: s.id, lines: lines(s.title), nodes: s.nodes, dir: s.dir ?? null }));
  return { vertices, edges, subgraphs };
}

let input = "";
for await (const chunk of process.stdin) input += chunk;
let diagrams;
try {
  diagrams = JSON.parse(input);
} catch (error) {
  console.error(`not JSON: ${error.message}`);
  process.exit(2);
}
if (!Array.isArray(diagrams) || !diagrams.every((d) => typeof d === "string")) {
  console.error("expected a JSON array of diagram texts");
  process.exit(2);
}
const results = [];
for (const text of diagrams) {
  try {
    const parsed = await mermaid.parse(text);
    const result = { ok: true, type: parsed.diagramType };
    if (parsed.diagramType.startsWith("flowchart")) {
      const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
      Object.assign(result, structure(diagram.db));
    }
    results.push(result);
  } catch (error) {
    results.push({ ok: false, error: String(error.message ?? error) });
  }
}
process.stdout.write(JSON.stringify(results) + "\n");
process.exit(results.every((r) => r.ok) ? 0 : 1);
