#!/usr/bin/env node
// Parse and validate AsyncAPI documents with the official AsyncAPI parser (@asyncapi/parser), with
// @asyncapi/avro-schema-parser registered for Avro payloads.
//
//   node tools/asyncapi/validate.mjs [--json] FILE...
//
// @asyncapi/parser 3.x checks the document against the AsyncAPI JSON Schema (bindings included) and
// the spec's rules (references, operation/channel consistency, ...), but for AsyncAPI 3 documents it
// neither validates Avro schemas nor checks message examples against their payload
// (asyncapi/parser-js#1024, asyncapi/cli#925). Two checks here close that gap, with the same
// libraries: every Avro payload schema is validated by @asyncapi/avro-schema-parser (avsc), and
// every message example's payload is validated with Ajv against the JSON Schema the parser derived
// from the message's payload (codes `avro-schema` and `message-example`).
//
// Prints one line per diagnostic ("error|warning|info|hint CODE at PATH: MESSAGE"), or with --json
// one JSON array of {file, severity, code, path, message}. Exit 0 when every file parses without an
// error-level diagnostic, 1 when any has one, 2 on wrong usage. Runs offline: documents are read
// from disk, and only references inside them are resolved.
import { resolve } from 'node:path';
import process from 'node:process';

import { AvroSchemaParser } from '@asyncapi/avro-schema-parser';
import { DiagnosticSeverity, Parser, fromFile } from '@asyncapi/parser';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const SEVERITY = {
  [DiagnosticSeverity.Error]: 'error',
  [DiagnosticSeverity.Warning]: 'warning',
  [DiagnosticSeverity.Information]: 'info',
  [DiagnosticSeverity.Hint]: 'hint',
};

const args = process.argv.slice(2);
const asJson = args.includes('--json');
const files = args.filter((arg) => arg !== '--json');
if (files.length === 0 || files.some((arg) => arg.startsWith('-'))) {
  process.stderr.write('usage: node validate.mjs [--json] FILE...\n');
  process.exit(2);
}

const avro = AvroSchemaParser();
const parser = new Parser();
parser.registerSchemaParser(avro);
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);

// Errors the parser does not report for AsyncAPI 3: invalid Avro schemas, examples that do not fit.
async function payloadDiagnostics(document) {
  const found = [];
  for (const message of document.allMessages().all()) {
    const where = `components.messages.${message.id()}`;
    const raw = message.json().payload;
    const isAvro = avro.getMimeTypes().includes(message.schemaFormat());
    if (isAvro && raw && typeof raw === 'object') {
      const original = raw['x-parser-original-payload'] ?? raw.schema;
      for (const problem of await avro.validate({ data: original, path: [] })) {
        found.push({ code: 'avro-schema', path: `${where}.payload.schema`, message: problem.message });
      }
    }
    const payload = message.payload()?.json();
    const schema = payload && typeof payload === 'object' && 'schemaFormat' in payload ? payload.schema : payload;
    if (schema === undefined) continue;
    let check;
    try {
      check = ajv.compile(schema);
    } catch (error) {
      found.push({ code: 'payload-schema', path: `${where}.payload`, message: String(error) });
      continue;
    }
    message.examples().all().forEach((example, index) => {
      if (example.hasPayload() && !check(example.payload())) {
        for (const error of check.errors ?? []) {
          found.push({
            code: 'message-example',
            path: `${where}.examples.${index}.payload${error.instancePath.replaceAll('/', '.')}`,
            message: `example does not match the payload schema: ${error.message}`,
          });
        }
      }
    });
  }
  return found.map((d) => ({ severity: DiagnosticSeverity.Error, ...d, path: d.path.split('.') }));
}

const report = [];
let failed = false;
for (const file of files) {
  let document;
  let diagnostics;
  try {
    ({ document, diagnostics } = await fromFile(parser, resolve(file)).parse());
    if (document !== undefined) diagnostics = [...diagnostics, ...(await payloadDiagnostics(document))];
  } catch (error) {
    diagnostics = [{ severity: DiagnosticSeverity.Error, code: 'unreadable', path: [], message: String(error) }];
  }
  const found = diagnostics.map((d) => ({
    file,
    severity: SEVERITY[d.severity] ?? String(d.severity),
    code: String(d.code ?? ''),
    path: (d.path ?? []).join('.'),
    message: d.message,
  }));
  if (document === undefined && !found.some((d) => d.severity === 'error')) {
    found.push({ file, severity: 'error', code: 'not-parsed', path: '', message: 'the parser returned no document' });
  }
  if (found.some((d) => d.severity === 'error')) failed = true;
  report.push(...found);
}

if (asJson) {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  for (const d of report) {
    process.stdout.write(`${d.file}: ${d.severity} ${d.code} at ${d.path || '(root)'}: ${d.message}\n`);
  }
  const errors = report.filter((d) => d.severity === 'error').length;
  process.stdout.write(`${files.length} file(s), ${errors} error(s), ${report.length - errors} other diagnostic(s)\n`);
}
process.exit(failed ? 1 : 0);
