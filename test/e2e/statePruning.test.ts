/**
 * State pruning as an operator meets it (DESIGN §10, issue 17): a dev node with default settings
 * answers eth_getBalance at `latest` and refuses an old block with -32000 "historical state
 * unavailable (pruned) …; run with --archive"; the same chain with --archive answers both. The
 * dev genesis runs at 100 ms blocks here so the 128-block window is passed within seconds.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { DEV_GENESIS, rpc, rpcRaw, startNode, tempDir, waitFor } from '../helpers/nodeProcess.js'

/** blocks past the pruning node's 128-block window before the old block is asked about */
const PAST_WINDOW = 140
const FAST_INTERVAL_MS = 100
const DEV_ACCOUNT = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'

t.test('default: latest answers, an old block is pruned; --archive: both answer', async (t) => {
  const dir = tempDir(t)
  const genesis = JSON.parse(readFileSync(DEV_GENESIS, 'utf8')) as { params: { blockIntervalMs: number } }
  genesis.params.blockIntervalMs = FAST_INTERVAL_MS
  const genesisFile = join(dir, 'fast-dev.json')
  writeFileSync(genesisFile, JSON.stringify(genesis))

  // 100 ms blocks on a busy machine lag the event loop: this test is not about admission control
  const pruned = await startNode({ datadir: join(dir, 'pruned'), genesis: genesisFile, extraArgs: ['--rpc-max-lag', '0'] })
  t.teardown(() => pruned.kill('SIGKILL'))
  const archive = await startNode({ datadir: join(dir, 'archive'), genesis: genesisFile, extraArgs: ['--archive', '--rpc-max-lag', '0'] })
  t.teardown(() => archive.kill('SIGKILL'))
  for (const node of [pruned, archive]) {
    await waitFor(async () => Number(await rpc(node.url, 'eth_blockNumber')) >= PAST_WINDOW, 60_000, `block ${PAST_WINDOW}`)
  }

  const latest = await rpcRaw(pruned.url, 'eth_getBalance', [DEV_ACCOUNT, 'latest'])
  t.match(latest.result, /^0x[0-9a-f]+$/, `default node, latest: ${latest.result}`)
  const old = await rpcRaw(pruned.url, 'eth_getBalance', [DEV_ACCOUNT, '0x1'])
  t.equal(old.error?.code, -32000, 'default node, block 1: -32000')
  t.match(old.error?.message, /^historical state unavailable \(pruned\): block 1 .*; run with --archive$/, old.error?.message)
  const call = await rpcRaw(pruned.url, 'eth_call', [{ to: DEV_ACCOUNT, data: '0x' }, '0x1'])
  t.match(call.error, { code: -32000, message: /historical state unavailable \(pruned\)/ }, 'eth_call at block 1 says the same')

  for (const tag of ['latest', '0x1']) {
    const r = await rpcRaw(archive.url, 'eth_getBalance', [DEV_ACCOUNT, tag])
    t.match(r.result, /^0x[0-9a-f]+$/, `--archive, ${tag}: ${r.result}`)
  }
  t.match(archive.stderr(), /"?state"?[=:] ?"?archive/, 'the archive node says so at start')
})
