/**
 * rpc/openrpc.json is a valid OpenRPC 1.2 document, every $ref resolves, every schema compiles,
 * the examples validate against their own schemas, docs/rpc.md is up to date, and — both ways —
 * every implemented method is documented and every documented method is implemented.
 */
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { Ajv, type ValidateFunction } from 'ajv'
import { allMethods } from '../../../rpc/index.js'
import { filterMethods } from '../../../rpc/filters/index.js'
import { moreMethods } from '../../../rpc/more.js'
import { debugMethods } from '../../../rpc/debug/index.js'
import { renderRpcDocs, resolvePointer, type OpenRpcDoc } from '../../../tools/rpcDocs.js'
import { repoRoot } from '../../helpers/inProcessNode.js'

const doc = JSON.parse(fs.readFileSync(path.join(repoRoot, 'rpc', 'openrpc.json'), 'utf8')) as OpenRpcDoc

/** Names of a method list, whatever container the module exports (array, Map or record of RpcMethods). */
function namesOf(list: unknown): string[] {
  if (list instanceof Map) return [...list.keys()]
  const items = Array.isArray(list) ? list : Object.values(list as Record<string, unknown>)
  return items.map((m) => (m as { name: string }).name)
}

/** Every method the node serves once the lead wires the three new modules into rpc/index.ts. */
const implemented = new Set<string>([...namesOf(allMethods()), ...namesOf(filterMethods), ...namesOf(moreMethods), ...namesOf(debugMethods)])

// a minimal meta-schema of the OpenRPC 1.2 fields this document uses
const contentDescriptor = {
  type: 'object',
  required: ['name', 'schema'],
  properties: {
    name: { type: 'string', minLength: 1 },
    summary: { type: 'string' },
    description: { type: 'string' },
    required: { type: 'boolean' },
    schema: { type: ['object', 'boolean'] },
    deprecated: { type: 'boolean' },
  },
}
const errorObject = {
  oneOf: [
    { type: 'object', required: ['$ref'], properties: { $ref: { type: 'string', pattern: '^#/components/errors/' } } },
    { type: 'object', required: ['code', 'message'], properties: { code: { type: 'integer' }, message: { type: 'string' } } },
  ],
}
const metaSchema = {
  type: 'object',
  required: ['openrpc', 'info', 'methods'],
  properties: {
    openrpc: { type: 'string', pattern: '^1\\.2\\.\\d+$' },
    info: {
      type: 'object',
      required: ['title', 'version'],
      properties: { title: { type: 'string' }, version: { type: 'string' }, description: { type: 'string' } },
    },
    methods: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['name', 'params', 'result'],
        properties: {
          name: { type: 'string', pattern: '^[a-z0-9]+_[A-Za-z0-9]+$' },
          summary: { type: 'string' },
          description: { type: 'string' },
          params: { type: 'array', items: contentDescriptor },
          result: contentDescriptor,
          errors: { type: 'array', items: errorObject },
          examples: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'params', 'result'],
              properties: {
                name: { type: 'string' },
                params: { type: 'array', items: { type: 'object', required: ['name', 'value'] } },
                result: { type: 'object', required: ['name', 'value'] },
              },
            },
          },
        },
      },
    },
    components: {
      type: 'object',
      properties: {
        schemas: { type: 'object', additionalProperties: { type: ['object', 'boolean'] } },
        errors: { type: 'object', additionalProperties: { type: 'object', required: ['code', 'message'] } },
      },
    },
  },
}

/** ajv with the document's components loaded; `#/components/…` refs resolve against them. */
function validators() {
  const ajv = new Ajv({ strict: false, allErrors: true })
  ajv.addSchema({ $id: 'openrpc.json', components: doc.components }, 'openrpc.json')
  const cache = new Map<string, ValidateFunction>()
  return (schema: unknown): ValidateFunction => {
    const key = JSON.stringify(schema)
    let v = cache.get(key)
    if (v === undefined) {
      v = ajv.compile(JSON.parse(key.replace(/"\$ref":"#\//g, '"$ref":"openrpc.json#/')))
      cache.set(key, v)
    }
    return v
  }
}

t.test('the document is OpenRPC 1.2', async (t) => {
  const ajv = new Ajv({ strict: false, allErrors: true })
  const ok = ajv.validate(metaSchema, doc)
  t.ok(ok, 'matches the OpenRPC shape: ' + ajv.errorsText(ajv.errors))

  const names = doc.methods.map((m) => m.name)
  t.equal(new Set(names).size, names.length, 'method names are unique')
  for (const m of doc.methods) {
    const params = m.params.map((p) => p.name)
    t.equal(new Set(params).size, params.length, `${m.name}: param names are unique`)
    const firstOptional = m.params.findIndex((p) => !p.required)
    if (firstOptional >= 0)
      t.ok(
        m.params.slice(firstOptional).every((p) => !p.required),
        `${m.name}: no required param after an optional one`,
      )
    t.ok((m.summary ?? m.description ?? '').length > 0, `${m.name}: has a summary`)
    t.ok((m.examples ?? []).length > 0, `${m.name}: has an example`)
    t.ok((m.errors ?? []).length > 0, `${m.name}: lists its errors`)
  }

  // every $ref in the document resolves
  let refs = 0
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk)
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === '$ref' && typeof x === 'string') {
          refs++
          t.doesNotThrow(() => resolvePointer(doc, x), `${x} resolves`)
        } else walk(x)
      }
    }
  }
  walk(doc)
  t.ok(refs > 100, `${refs} $refs checked`)
})

t.test('every schema compiles and every example validates', async (t) => {
  const compile = validators()
  for (const name of Object.keys(doc.components?.schemas ?? {})) {
    t.doesNotThrow(() => compile({ $ref: `#/components/schemas/${name}` }), `schema ${name} compiles`)
  }
  for (const m of doc.methods) {
    const result = compile(m.result.schema)
    const params = m.params.map((p) => compile(p.schema))
    for (const ex of m.examples ?? []) {
      t.ok(ex.params.length <= m.params.length, `${m.name}/${ex.name}: not too many params`)
      ex.params.forEach((p, i) => {
        t.equal(p.name, m.params[i]?.name, `${m.name}/${ex.name}: param ${i} named as documented`)
        t.ok(params[i]?.(p.value), `${m.name}/${ex.name}: param ${p.name} validates ${JSON.stringify(params[i]?.errors)}`)
      })
      t.ok(result(ex.result.value), `${m.name}/${ex.name}: result validates ${JSON.stringify(result.errors)}`)
    }
  }
})

t.test('the execution-apis primitive shapes', async (t) => {
  const compile = validators()
  const check = (schema: string, good: unknown[], bad: unknown[]) => {
    const v = compile({ $ref: `#/components/schemas/${schema}` })
    for (const x of good) t.ok(v(x), `${schema} accepts ${JSON.stringify(x)}`)
    for (const x of bad) t.notOk(v(x), `${schema} rejects ${JSON.stringify(x)}`)
  }
  check('uint', ['0x0', '0x1', '0x1f', '0x100'], ['0x', '0x01', '0x00', '1', '0xG', '0x1F', 1, null])
  check('bytes', ['0x', '0x00', '0xdeadbeef'], ['0x0', '0xabc', 'deadbeef', '0xDEADBEEF', null])
  check('hash32', ['0x' + 'ab'.repeat(32)], ['0x' + 'ab'.repeat(31), '0x' + 'ab'.repeat(33), null])
  check('address', ['0x' + '12'.repeat(20)], ['0x' + '12'.repeat(19), '12'.repeat(20)])
  check(
    'BlockNumberOrTagOrHash',
    ['latest', 'earliest', 'pending', 'safe', 'finalized', '0x0', '0x' + 'ab'.repeat(32), { blockHash: '0x' + 'ab'.repeat(32) }, { blockNumber: '0x1' }],
    ['newest', '0x01', {}],
  )
  check('SyncingStatus', [false, { startingBlock: '0x0', currentBlock: '0x1', highestBlock: '0x2' }], [true, {}])
})

t.test('implemented and documented methods are the same set', async (t) => {
  const documented = new Set(doc.methods.map((m) => m.name))
  for (const name of [...implemented].sort()) t.ok(documented.has(name), `implemented ${name} is documented in rpc/openrpc.json`)
  for (const name of [...documented].sort()) t.ok(implemented.has(name), `documented ${name} is implemented`)
  t.ok(implemented.size >= 50, `${implemented.size} methods implemented`)
})

t.test('docs/rpc.md is generated from the document', async (t) => {
  const md = fs.readFileSync(path.join(repoRoot, 'docs', 'rpc.md'), 'utf8')
  t.ok(md === renderRpcDocs(doc), 'docs/rpc.md is up to date (regenerate: node --loader @isaacs/ts-node-temp-fork-for-pr-2009/esm tools/rpcDocs.ts)')
  for (const m of doc.methods) t.ok(md.includes(`### ${m.name}\n`), `docs/rpc.md has a section for ${m.name}`)
})
