/** Calls checked against their OpenRPC result schema (rpc/openrpc.json), for the flow_/nfc_ tests. */
import fs from 'node:fs'
import path from 'node:path'
import type { Test } from 'tap'
import { Ajv } from 'ajv'
import { repoRoot, type InProcessNode } from '../../../helpers/inProcessNode.js'

const openrpc = JSON.parse(fs.readFileSync(path.join(repoRoot, 'rpc', 'openrpc.json'), 'utf8'))
const ajv = new Ajv({ strict: false, allErrors: true })
ajv.addSchema({ $id: 'openrpc.json', components: openrpc.components }, 'openrpc.json')

export async function documented(t: Test, n: InProcessNode, method: string, params: unknown[] = []) {
  const m = openrpc.methods.find((x: { name: string }) => x.name === method)
  const validate = ajv.compile(JSON.parse(JSON.stringify(m.result.schema).replace(/"\$ref":"#\//g, '"$ref":"openrpc.json#/')))
  const result = await n.rpc(method, params)
  t.ok(validate(result), `${method} ${JSON.stringify(params)} matches its OpenRPC result schema ${ajv.errorsText(validate.errors)}`)
  return result
}

/** the JSON-RPC error of a call that must fail */
export async function rpcError(n: InProcessNode, method: string, params: unknown[]) {
  const r = await n.rpcRaw(method, params)
  if (r.error === undefined) throw new Error(`${method} ${JSON.stringify(params)} answered ${JSON.stringify(r.result)}, want an error`)
  return r.error
}
