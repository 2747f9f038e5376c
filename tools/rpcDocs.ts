/**
 * Generates docs/rpc.md from the OpenRPC document rpc/openrpc.json: one section per method with
 * its params, result, errors and example. The output is committed; test/unit/rpc/openrpc.test.ts
 * fails when it is stale.
 *
 *   node --loader @isaacs/ts-node-temp-fork-for-pr-2009/esm tools/rpcDocs.ts   # or, after `npm run build`:
 *   node dist/tools/rpcDocs.js [openrpc.json] [out.md]     # paths relative to the repo root
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }
type Schema = { [k: string]: any }

export interface OpenRpcDoc {
  openrpc: string
  info: { title: string; version: string; description?: string }
  methods: OpenRpcMethod[]
  components?: { schemas?: Record<string, Schema>; errors?: Record<string, { code: number; message: string; data?: unknown }> }
}

export interface ContentDescriptor {
  name: string
  description?: string
  required?: boolean
  schema: Schema
}

export interface OpenRpcMethod {
  name: string
  summary?: string
  description?: string
  params: ContentDescriptor[]
  result: ContentDescriptor
  errors?: ({ $ref: string } | { code: number; message: string; data?: unknown })[]
  examples?: { name: string; params: { name: string; value: Json }[]; result: { name: string; value: Json } }[]
}

/** Follows a local `#/…` JSON pointer. */
export function resolvePointer(doc: unknown, ref: string): any {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported: ${ref}`)
  let cur: any = doc
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, key)) throw new Error(`unresolved $ref ${ref}`)
    cur = cur[key]
  }
  return cur
}

const refName = (ref: string) => ref.slice(ref.lastIndexOf('/') + 1)

/** A short, one-line rendering of a schema for tables ("uint | null", "array of Log", …). */
export function schemaType(s: Schema | undefined): string {
  if (s === undefined) return 'any'
  if (typeof s.$ref === 'string') return `[${refName(s.$ref)}](#${refName(s.$ref).toLowerCase()})`
  for (const k of ['oneOf', 'anyOf'] as const) if (Array.isArray(s[k])) return (s[k] as Schema[]).map(schemaType).join(' \\| ')
  if (s.const !== undefined) return '`' + JSON.stringify(s.const) + '`'
  if (Array.isArray(s.enum)) return s.enum.map((e: unknown) => '`' + JSON.stringify(e) + '`').join(' \\| ')
  if (s.type === 'array') return `array of ${schemaType(s.items)}`
  if (s.type === 'object' && s.properties) return `object { ${Object.keys(s.properties).join(', ')} }`
  if (typeof s.type === 'string') return s.pattern ? `${s.type} \`${s.pattern}\`` : s.type
  return 'any'
}

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ')
const anchor = (name: string) => name.toLowerCase()

function errorsOf(doc: OpenRpcDoc, m: OpenRpcMethod) {
  return (m.errors ?? []).map((e) => ('$ref' in e ? (resolvePointer(doc, e.$ref) as { code: number; message: string; data?: unknown }) : e))
}

function renderMethod(doc: OpenRpcDoc, m: OpenRpcMethod): string {
  const out: string[] = [`### ${m.name}`, '']
  if (m.summary) out.push(m.summary, '')
  if (m.description) out.push(m.description, '')
  out.push('**Params**', '')
  if (m.params.length === 0) out.push('None.', '')
  else {
    out.push('| # | name | type | required | description |', '|---|---|---|---|---|')
    m.params.forEach((p, i) => out.push(`| ${i} | ${esc(p.name)} | ${schemaType(p.schema)} | ${p.required ? 'yes' : 'no'} | ${esc(p.description ?? '')} |`))
    out.push('')
  }
  out.push('**Result**', '', `${esc(m.result.name)}: ${schemaType(m.result.schema)}${m.result.description ? ` — ${esc(m.result.description)}` : ''}`, '')
  const errors = errorsOf(doc, m)
  if (errors.length > 0) {
    out.push('**Errors**', '', '| code | message |', '|---|---|')
    for (const e of errors) out.push(`| ${e.code} | ${esc(e.message)} |`)
    out.push('')
  }
  for (const ex of m.examples ?? []) {
    const request = { jsonrpc: '2.0', id: 1, method: m.name, params: ex.params.map((p) => p.value) }
    out.push(
      `**Example** (${ex.name})`,
      '',
      '```json',
      JSON.stringify(request),
      '```',
      '',
      '```json',
      JSON.stringify({ jsonrpc: '2.0', id: 1, result: ex.result.value }, null, 2),
      '```',
      '',
    )
  }
  return out.join('\n')
}

function renderSchema(name: string, s: Schema): string {
  const out: string[] = [`### ${name}`, '']
  if (s.title) out.push(`${s.title}${s.description ? ` — ${s.description}` : ''}`, '')
  else if (s.description) out.push(s.description, '')
  if (s.type === 'object' && s.properties) {
    const required = new Set<string>(s.required ?? [])
    out.push('| field | type | required |', '|---|---|---|')
    for (const [k, v] of Object.entries<Schema>(s.properties)) out.push(`| ${k} | ${schemaType(v)} | ${required.has(k) ? 'yes' : 'no'} |`)
    out.push('')
  } else out.push(schemaType(s), '')
  return out.join('\n')
}

/** The whole markdown page; deterministic (method order by namespace then name). */
export function renderRpcDocs(doc: OpenRpcDoc): string {
  const methods = [...doc.methods].sort((a, b) => a.name.localeCompare(b.name))
  const namespaces = [...new Set(methods.map((m) => m.name.split('_')[0]))]
  const out: string[] = [
    `# ${doc.info.title} ${doc.info.version}`,
    '',
    '<!-- generated by tools/rpcDocs.ts from rpc/openrpc.json; do not edit by hand -->',
    '',
    doc.info.description ?? '',
    '',
    '## Methods',
    '',
  ]
  for (const ns of namespaces) {
    out.push(
      `- **${ns}**: ` +
        methods
          .filter((m) => m.name.split('_')[0] === ns)
          .map((m) => `[${m.name}](#${anchor(m.name)})`)
          .join(', '),
    )
  }
  out.push('')
  for (const ns of namespaces) {
    out.push(`## ${ns}`, '')
    for (const m of methods.filter((x) => x.name.split('_')[0] === ns)) out.push(renderMethod(doc, m))
  }
  out.push('## Schemas', '')
  for (const [name, s] of Object.entries(doc.components?.schemas ?? {}).sort(([a], [b]) => a.localeCompare(b))) out.push(renderSchema(name, s))
  out.push('## Errors', '', '| name | code | message |', '|---|---|---|')
  for (const [name, e] of Object.entries(doc.components?.errors ?? {})) out.push(`| ${name} | ${e.code} | ${esc(e.message)} |`)
  out.push('')
  return out.join('\n')
}

/** The repo root: the nearest ancestor of this file holding rpc/openrpc.json (works from tools/ and dist/tools/). */
export function findRepoRoot(from = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = from
  for (;;) {
    if (fs.existsSync(path.join(dir, 'rpc', 'openrpc.json'))) return dir
    const up = path.dirname(dir)
    if (up === dir) throw new Error('rpc/openrpc.json not found above ' + from)
    dir = up
  }
}

export function main(argv = process.argv.slice(2)): void {
  const root = findRepoRoot()
  const input = path.resolve(root, argv[0] ?? 'rpc/openrpc.json')
  const output = path.resolve(root, argv[1] ?? 'docs/rpc.md')
  const doc = JSON.parse(fs.readFileSync(input, 'utf8')) as OpenRpcDoc
  fs.writeFileSync(output, renderRpcDocs(doc))
  console.log(`wrote ${path.relative(root, output)} (${doc.methods.length} methods)`)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main()
