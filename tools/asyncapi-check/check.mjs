// Parses AsyncAPI documents with the official parser; prints one JSON report per file.
// Usage: node check.mjs docs/asyncapi/*.json   (exit code 1 when any document has an error)
import { readFile } from "node:fs/promises";
import { Parser, DiagnosticSeverity } from "@asyncapi/parser";

const parser = new Parser();
let failed = false;
for (const path of process.argv.slice(2)) {
  const text = await readFile(path, "utf8");
  const { document, diagnostics } = await parser.parse(text, { source: path });
  const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
  const warnings = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Warning);
  if (!document || errors.length) failed = true;
  const describe = (d) => ({ code: d.code, message: d.message, path: d.path.join("/") });
  console.log(JSON.stringify({
    file: path,
    parsed: Boolean(document),
    messages: document ? document.allMessages().length : 0,
    channels: document ? document.allChannels().length : 0,
    errors: errors.map(describe),
    warnings: warnings.map(describe),
  }));
}
process.exit(failed ? 1 : 0);
