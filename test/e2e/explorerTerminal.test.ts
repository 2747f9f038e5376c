/**
 * `nfc explorer` in a real 80×24 terminal (tmux): a dev node process with a transfer in it, the
 * explorer started inside tmux, `/` + the block number, Enter on its transaction, and the pane's
 * text checked (hash, from, to, status); then the window is resized to 140×40 and back. The
 * explorer runs with CI=true, as under a CI runner. Own tmux socket; the server is killed at teardown.
 */
import t from 'tap'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { Wallet } from 'ethers'
import { CLI, REPO_ROOT, startNode, tempDir, waitFor } from '../helpers/nodeProcess.js'
import { DEV_ACCOUNTS } from '../../src/node/devAccounts.js'

const TMUX = ['/usr/bin/tmux', '/usr/local/bin/tmux'].find((p) => existsSync(p)) ?? 'tmux'

t.test('explorer in tmux: block → transaction', async (t) => {
  const probe = spawnSync(TMUX, ['-V'], { encoding: 'utf8' })
  if (probe.error || probe.status !== 0) {
    t.fail(`tmux is needed for this test and was not found (${probe.error?.message ?? probe.stderr}); install it (apt-get install tmux)`)
    return
  }
  const node = await startNode({ datadir: tempDir(t) })
  t.teardown(() => node.stop())
  const rpc = async (method: string, params: unknown[] = []) => {
    const res = await fetch(node.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    })
    const body = (await res.json()) as { result?: any; error?: { message: string } }
    if (body.error) throw new Error(body.error.message)
    return body.result
  }
  const from = DEV_ACCOUNTS[0]!
  const to = DEV_ACCOUNTS[1]!.address.toLowerCase()
  const raw = await new Wallet(from.privateKey).signTransaction({
    type: 0,
    chainId: 2100,
    nonce: Number(await rpc('eth_getTransactionCount', [from.address, 'pending'])),
    to,
    value: 10n ** 18n,
    gasLimit: 21_000n,
    gasPrice: 2_000_000_000n,
  })
  const hash: string = await rpc('eth_sendRawTransaction', [raw])
  const receipt = await waitFor(async () => (await rpc('eth_getTransactionReceipt', [hash])) ?? false, 20_000, 'the transfer to be mined')
  const blockNumber = Number(BigInt(receipt.blockNumber))

  const socket = `nfc-explorer-${process.pid}`
  const tmux = (...args: string[]) => execFileSync(TMUX, ['-L', socket, ...args], { encoding: 'utf8' })
  t.teardown(() => {
    spawnSync(TMUX, ['-L', socket, 'kill-server'])
  })
  // CI=true as a CI runner's shell exports it: Ink then draws nothing until exit unless the
  // explorer hides it while Ink loads (the screen stayed blank in a CI run)
  tmux('new-session', '-d', '-x', '80', '-y', '24', '-s', 'ex', '-c', REPO_ROOT, `env CI=true ${process.execPath} ${CLI} explorer --rpc ${node.url}`)
  const pane = () => tmux('capture-pane', '-p', '-t', 'ex')
  /** one capture, returned if it passes `ok` (capturing twice can catch the explorer between redraws) */
  const paneIf = (ok: (s: string) => boolean) => () => {
    const s = pane()
    return ok(s) ? s : false
  }
  // the connection state and the dashboard's numbers are separate updates: wait for both
  let screen = await waitFor(
    paneIf((s) => /Chain id\s+2100/.test(s) && /● connected/.test(s)),
    20_000,
    'the dashboard, connected',
  ).catch(() => pane())
  t.match(screen, /● connected/, 'connected')
  t.ok(
    screen.split('\n').every((l) => l.length <= 80),
    'fits 80 columns',
  )

  tmux('send-keys', '-t', 'ex', '/')
  await waitFor(() => pane().includes('search:'), 20_000, 'the search prompt')
  tmux('send-keys', '-t', 'ex', '-l', String(blockNumber))
  // the number on screen first, so the frame shows what was typed (a read holding "1\r" submits
  // too: test/unit/explorer/search.test.tsx)
  await waitFor(() => pane().includes(`search: ${blockNumber}`), 20_000, 'the block number in the prompt')
  tmux('send-keys', '-t', 'ex', 'Enter')
  screen = await waitFor(
    paneIf((s) => s.includes(`Block #${blockNumber}`) && s.includes('Transactions (1)')),
    20_000,
    'the block',
  ).catch((e: Error) => {
    throw new Error(`${e.message}\n${pane()}`)
  })
  // cursor starts on Parent; Producer, then the transaction
  tmux('send-keys', '-t', 'ex', 'j', 'j')
  await waitFor(() => /▶ 0x[0-9a-f]+…/.test(pane()), 20_000, 'the tx line selected').catch((e: Error) => {
    throw new Error(`${e.message}\n${pane()}`)
  })
  tmux('send-keys', '-t', 'ex', 'Enter')
  screen = await waitFor(
    paneIf((s) => /Status\s+success/.test(s)),
    20_000,
    'the transaction',
  )
  t.match(screen, new RegExp(`Hash\\s+0x${hash.slice(2, 10)}[0-9a-f]*…[0-9a-f]*${hash.slice(-4)}`), 'the hash, abbreviated to 80 columns')
  t.match(screen, new RegExp(`From\\s+${from.address.toLowerCase().slice(0, 12)}`), 'from')
  t.match(screen, new RegExp(`To\\s+${to.slice(0, 12)}`), 'to')
  t.match(screen, /Value\s+1 NFC/, 'value')
  t.ok(screen.trimEnd().split('\n').length <= 24, 'fits 24 rows')

  // a bigger terminal: the explorer follows the resize and uses the room (the whole hash fits)
  tmux('resize-window', '-t', 'ex', '-x', '140', '-y', '40')
  screen = await waitFor(
    paneIf((s) => s.includes(`Hash  `) && s.includes(hash.toLowerCase())),
    20_000,
    'the whole hash at 140 columns',
  ).catch((e: Error) => {
    throw new Error(`${e.message}\n${pane()}`)
  })
  t.match(screen, new RegExp(`Hash\\s+${hash.toLowerCase()}`), 'at 140×40 the hash is shown whole')
  t.ok(
    screen.split('\n').some((l) => l.trimEnd().length > 80),
    'lines use more than 80 columns',
  )
  t.ok(
    screen.split('\n').every((l) => l.length <= 140),
    'and fit 140',
  )
  tmux('resize-window', '-t', 'ex', '-x', '80', '-y', '24')
  screen = await waitFor(
    paneIf((s) => /Hash\s+0x[0-9a-f]+…/.test(s)),
    20_000,
    'the hash abbreviated again at 80 columns',
  )
  t.ok(
    screen.split('\n').every((l) => l.length <= 80),
    'back at 80 columns it fits again',
  )

  tmux('send-keys', '-t', 'ex', 'q')
  await waitFor(() => spawnSync(TMUX, ['-L', socket, 'has-session', '-t', 'ex']).status !== 0, 20_000, 'the explorer to quit on q')
  t.pass('q quits')
})
