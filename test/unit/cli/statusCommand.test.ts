/** `nfc status` against a real in-process dev node, and against a port nothing listens on. */
import t from 'tap'
import { createServer } from 'node:net'
import type { CliIo } from '../../../src/cli/io.js'
import { formatStatus, statusCommand, type NodeStatus } from '../../../src/cli/statusCommand.js'
import { DEV_ACCOUNTS } from '../../../src/node/devAccounts.js'
import { startNode } from '../../helpers/inProcessNode.js'

async function status(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const io: CliIo = { out: (s) => void (out += s), err: (s) => void (err += s), tty: null }
  const code = await statusCommand(args, io)
  return { code, out, err }
}

/** A port that was free a moment ago and has nothing listening now. */
async function closedPort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const port = (srv.address() as { port: number }).port
  await new Promise<void>((r) => srv.close(() => r()))
  return port
}

t.test('a dev node', async (t) => {
  const node = await startNode(t)
  await node.produceBlock()
  await node.produceBlock()
  const head = await node.rpc('eth_getBlockByNumber', ['latest', false])

  const text = await status(['--rpc', node.url])
  t.equal(text.code, 0, text.err)
  t.equal(text.err, '')
  const lines = text.out.trim().split('\n')
  t.ok(lines.length <= 24, 'one screen')
  t.match(text.out, /^chain id +2100$/m)
  t.match(text.out, /^client +nfc\/v/m)
  t.match(text.out, new RegExp(`^head +#2  ${head.hash}  \\(.+ ago\\)$`, 'm'))
  t.match(text.out, /^finalized +#2  0x[0-9a-f]{64}  \(lag 0 blocks, quorum 1\)$/m)
  t.match(text.out, /^peers +0$/m)
  t.match(text.out, /^syncing +no$/m)
  t.match(text.out, /^witnesses +1 of 1 seats, cycle 0/m)
  t.match(text.out, new RegExp(`^  0 +${DEV_ACCOUNTS[0]!.address} +\\d+ +2 +0$`, 'm'), 'witness 0: trust, 2 produced, 0 missed')

  const json = await status(['--rpc', node.url.replace(/^http:\/\//, ''), '--json'])
  t.equal(json.code, 0, json.err)
  t.equal(json.out.trim().split('\n').length, 1, 'one line')
  const st = JSON.parse(json.out) as NodeStatus
  t.equal(st.chainId, 2100)
  t.equal(st.head?.number, 2)
  t.equal(st.head?.hash, head.hash)
  t.equal(typeof st.head?.ageMs, 'number')
  t.same(st.finalized && { number: st.finalized.number, lag: st.finalized.lag }, { number: 2, lag: 0 })
  t.equal(st.peers, 0)
  t.equal(st.syncing, false)
  t.equal(st.witnesses?.seats.length, 1)
  t.same(st.witnesses?.seats[0] && { address: st.witnesses.seats[0].address, produced: st.witnesses.seats[0].produced, missed: st.witnesses.seats[0].missed }, {
    address: DEV_ACCOUNTS[0]!.address,
    produced: 2,
    missed: 0,
  })
  t.equal(typeof st.witnesses?.seats[0]?.trust, 'number')
  t.same(st.errors, {})
  t.equal(formatStatus(st).split('\n')[0], `rpc        ${st.rpc}`)
})

t.test('nothing listening', async (t) => {
  const port = await closedPort()
  for (const extra of [[], ['--json']]) {
    const r = await status(['--rpc', `http://127.0.0.1:${port}`, ...extra])
    t.equal(r.code, 1)
    t.equal(r.out, '')
    t.equal(r.err, `nfc status: cannot reach http://127.0.0.1:${port}/: ECONNREFUSED\n`, 'one line')
  }
  const bad = await status(['--rpc', 'ftp://x'])
  t.equal(bad.code, 1)
  t.match(bad.err, /--rpc wants an http/)
  t.match((await status(['--help'])).out, /--json/)
})
