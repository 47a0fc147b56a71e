// Writes events.d.ts from schema/events.schema.json: one interface per event
// kind, so the types say exactly what the schema says. The tests run this
// and fail when the committed file differs:
//
//   node clients/node/scripts/gen-events.mjs          # rewrite events.d.ts
//   node clients/node/scripts/gen-events.mjs --check  # exit 1 if it is stale
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const schemaPath = fileURLToPath(new URL('../../../schema/events.schema.json', import.meta.url));
const outPath = fileURLToPath(new URL('../events.d.ts', import.meta.url));

export function generate(schema) {
  const resolve = (p) => (p.$ref ? { ...resolve(schema.$defs[p.$ref.replace('#/$defs/', '')]), ...p, $ref: undefined } : p);
  const tsType = (raw) => {
    const p = resolve(raw);
    if (p.const !== undefined) return JSON.stringify(p.const);
    if (p.enum) return p.enum.map((v) => JSON.stringify(v)).join(' | ');
    const types = Array.isArray(p.type) ? p.type : [p.type];
    return types.map((t) => {
      switch (t) {
        case 'integer': case 'number': return 'number';
        case 'string': return 'string';
        case 'boolean': return 'boolean';
        case 'null': return 'null';
        case 'array': return `${p.items ? tsType(p.items) : 'unknown'}[]`;
        default: return 'unknown';
      }
    }).join(' | ');
  };
  const doc = (p, indent) => {
    const d = resolve(p).description;
    return d ? `${indent}/** ${d.replace(/\*\//g, '*\\/')} */\n` : '';
  };
  const pascal = (s) => s.split('_').map((w) => w[0].toUpperCase() + w.slice(1)).join('');

  let out = '// Generated from schema/events.schema.json by scripts/gen-events.mjs. Do not edit.\n\n';
  out += `/** Fields every event has. ${schema.description.replace(/\*\//g, '')} */\nexport interface EventBase {\n`;
  for (const [k, p] of Object.entries(schema.properties)) {
    if (k === 'event') continue;
    const required = schema.required.includes(k);
    out += doc(p, '  ') + `  ${k}${required ? '' : '?'}: ${tsType(p)};\n`;
  }
  out += '}\n\n';
  // Constraints that apply to every kind but one (pid, attempt) are left to
  // the per-kind interfaces' required lists.
  const names = [];
  for (const rule of schema.allOf) {
    const ev = rule.if.properties.event;
    const kinds = ev.const !== undefined ? [ev.const] : ev.enum;
    if (!kinds) continue;
    const then = rule.then;
    const typeName = kinds.length === 1 ? `${pascal(kinds[0])}Event` : 'OutputEvent';
    names.push(typeName);
    const props = { ...then.properties };
    for (const k of then.required ?? []) if (!props[k] && schema.properties[k]) props[k] = schema.properties[k];
    out += then.description ? `/** ${then.description} */\n` : '';
    out += `export interface ${typeName} extends EventBase {\n  event: ${kinds.map((k) => JSON.stringify(k)).join(' | ')};\n`;
    for (const [k, p] of Object.entries(props)) {
      const required = (then.required ?? []).includes(k);
      // A kind may narrow a common field (a minimum) without repeating its type.
      const hasType = (q) => ['type', 'enum', 'const', '$ref'].some((key) => q[key] !== undefined);
      let t = tsType(hasType(p) || !schema.properties[k] ? p : { ...schema.properties[k], ...p });
      if (k === 'pid' && kinds[0] !== 'status') t = 'number';
      out += doc(p, '  ') + `  ${k}${required ? '' : '?'}: ${t};\n`;
    }
    out += '}\n\n';
  }
  out += '/** Every event kind this version of tether writes. A host must still ignore kinds it does not know. */\n';
  out += `export type TetherEvent =\n  | ${names.join('\n  | ')};\n`;
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = generate(JSON.parse(readFileSync(schemaPath, 'utf8')));
  if (process.argv.includes('--check')) {
    if (readFileSync(outPath, 'utf8') !== text) {
      console.error('clients/node/events.d.ts is stale: run node clients/node/scripts/gen-events.mjs');
      process.exit(1);
    }
  } else {
    writeFileSync(outPath, text);
  }
}
