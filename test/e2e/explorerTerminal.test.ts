/**
 * `nfc explorer` in a real 80×24 terminal (tmux): a dev node process with a transfer in it, the
 * explorer started inside tmux, `/` + the block number, Enter on its transaction, and the pane's
 * text checked (hash, from, to, status); then the window is resized to 140×40 and back. The
 * explorer runs with CI=true, as under a CI runner. Own tmux socket; the server is killed at teardown.
 *
 * Then the explorer behind a counting proxy: its JSON-RPC calls per block while idle on the
 * Dashboard, Blocks and Account views (printed with its CPU%, asserted bounded), and the Blocks
 * table at 80×24 and 120×40 (every row whole, wider rows on the wider terminal); then the Gov,
 * Storage, Channels and Names tabs at 80×24 (the nine tabs on one line, nothing wider than the
 * pane) and their calls per block while idle.
 */
import t from 'tap'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
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
  screen = await waitFor(
    paneIf((s) => /▶ 0x[0-9a-f]+…/.test(s)),
    20_000,
    'the tx line selected',
  ).catch((e: Error) => {
    throw new Error(`${e.message}\n${pane()}`)
  })
  t.match(screen, /^▶ 0x[0-9a-f]+….* 1 NFC transfer *$/m, 'the transaction row fits 80 columns whole: hash, from, to, value, method')
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

/**
 * A pass-through in front of the node that counts what the explorer asks: HTTP requests and the
 * JSON-RPC calls in them (a batch of n is n calls). WebSocket upgrades are piped through as they
 * are (the explorer sends one eth_subscribe there, and the node pushes heads).
 */
async function countingProxy(
  target: string,
): Promise<{ url: string; calls(): number; requests(): number; methods(): Map<string, number>; close(): Promise<void> }> {
  const to = new URL(target)
  let calls = 0
  let requests = 0
  const methods = new Map<string, number>()
  const sockets = new Set<Socket>()
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      requests++
      try {
        const json = JSON.parse(body.toString('utf8')) as { method?: string } | { method?: string }[]
        for (const c of Array.isArray(json) ? json : [json]) {
          calls++
          methods.set(String(c.method), (methods.get(String(c.method)) ?? 0) + 1)
        }
      } catch {
        calls++
      }
      fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(
        async (r) => {
          res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' })
          res.end(Buffer.from(await r.arrayBuffer()))
        },
        () => res.destroy(),
      )
    })
  })
  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    const up = connect(Number(to.port), to.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`]
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`)
      up.write(lines.join('\r\n') + '\r\n\r\n')
      up.write(head)
      socket.pipe(up).pipe(socket)
    })
    for (const s of [socket, up]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
    }
    up.on('error', () => socket.destroy())
    socket.on('error', () => up.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    calls: () => calls,
    requests: () => requests,
    methods: () => new Map(methods),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** CPU time (user + system, in clock ticks) of process `pid` and its descendants, from /proc. */
function cpuTicks(pid: number): number {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return 0
  }
  // the fields after "(comm)": state is field 3, utime 14, stime 15
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  let ticks = Number(fields[11]) + Number(fields[12])
  let children = ''
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
  } catch {
    // no children file (old kernel): just this process
  }
  for (const c of children.trim().split(/\s+/).filter(Boolean)) ticks += cpuTicks(Number(c))
  return ticks
}

const CLOCK_TICKS_PER_S = 100
/** blocks to count over in each view */
const MEASURED_BLOCKS = 10
/** JSON-RPC calls per block allowed while idle on the Dashboard and Blocks tabs: 2 and some slack for the peers/sync refresh */
const MAX_CALLS_PER_BLOCK = 2.5
/** the Account view's 10 calls, asked at most every 10 s on an idle chain of 1 s blocks (with slack): well under 10 a block */
const ACCOUNT_CALLS_PER_BLOCK = 4
/** the Gov, Storage, Channels and Names tabs: 2-3 calls, asked at most every 10 s on an idle chain (with slack) */
const SYSTEM_CALLS_PER_BLOCK = 1

t.test('explorer: requests per block while idle, and layouts at 80×24 and 120×40', async (t) => {
  const probe = spawnSync(TMUX, ['-V'], { encoding: 'utf8' })
  if (probe.error || probe.status !== 0) {
    t.fail(`tmux is needed for this test and was not found (${probe.error?.message ?? probe.stderr}); install it (apt-get install tmux)`)
    return
  }
  const node = await startNode({ datadir: tempDir(t) })
  t.teardown(() => node.stop())
  const proxy = await countingProxy(node.url)
  t.teardown(() => proxy.close())
  const headOf = async (): Promise<number> => {
    const res = await fetch(node.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
    })
    return Number(BigInt(((await res.json()) as { result: string }).result))
  }

  const socket = `nfc-explorer-rq-${process.pid}`
  const tmux = (...args: string[]) => execFileSync(TMUX, ['-L', socket, ...args], { encoding: 'utf8' })
  t.teardown(() => {
    spawnSync(TMUX, ['-L', socket, 'kill-server'])
  })
  tmux('new-session', '-d', '-x', '80', '-y', '24', '-s', 'ex', '-c', REPO_ROOT, `${process.execPath} ${CLI} explorer --rpc ${proxy.url}`)
  const pid = Number(tmux('display-message', '-p', '-t', 'ex', '#{pane_pid}').trim())
  const pane = () => tmux('capture-pane', '-p', '-t', 'ex')
  const paneIf = (ok: (s: string) => boolean) => () => {
    const s = pane()
    return ok(s) ? s : false
  }
  await waitFor(
    paneIf((s) => /Chain id\s+2100/.test(s) && /live/.test(s)),
    20_000,
    'the dashboard, with live heads',
  ).catch((e: Error) => {
    throw new Error(`${e.message}\n${pane()}`)
  })

  /** Counts the explorer's calls while the chain makes MEASURED_BLOCKS blocks. */
  const measure = async (view: string, most = MAX_CALLS_PER_BLOCK) => {
    const h0 = await headOf()
    // start at a block boundary: the explorer has answered the head it was shown
    const snapshot = async () => ({
      head: await headOf(),
      calls: proxy.calls(),
      requests: proxy.requests(),
      methods: proxy.methods(),
      cpu: cpuTicks(pid),
      at: Date.now(),
    })
    const start = await waitFor(async () => ((await headOf()) > h0 ? snapshot() : false), 20_000, 'a new block')
    await waitFor(async () => (await headOf()) >= start.head + MEASURED_BLOCKS, 60_000, `${MEASURED_BLOCKS} more blocks`)
    const end = await snapshot()
    const byMethod = [...end.methods].map(([m, n]) => `${m} ${n - (start.methods.get(m) ?? 0)}`).join(', ')
    const blocks = end.head - start.head
    const perBlock = (end.calls - start.calls) / blocks
    const cpuPercent = ((end.cpu - start.cpu) / CLOCK_TICKS_PER_S / ((end.at - start.at) / 1000)) * 100
    t.comment(
      `${view}: ${end.calls - start.calls} JSON-RPC calls in ${end.requests - start.requests} HTTP requests over ${blocks} blocks = ${perBlock.toFixed(2)} calls/block; explorer CPU ${cpuPercent.toFixed(1)}% over ${((end.at - start.at) / 1000).toFixed(1)} s (${byMethod})`,
    )
    t.ok(perBlock <= most, `${view}: ${perBlock.toFixed(2)} calls per block (at most ${most})`)
  }
  await measure('Dashboard')

  tmux('send-keys', '-t', 'ex', '2')
  /** the Blocks table's rows: "#n  age  txs  gas  producer  hash" */
  const rowsOf = (s: string) => s.split('\n').filter((l) => /^(▶ | {2})#[\d,]+ /.test(l))
  let screen = await waitFor(
    paneIf((s) => /block\s+age\s+txs/.test(s) && rowsOf(s).length >= 10),
    20_000,
    'the Blocks table',
  ).catch((e: Error) => {
    throw new Error(`${e.message}\n${pane()}`)
  })
  await measure('Blocks')

  // 80×24: every row ends with its hash, whole or abbreviated but not cut by the screen's edge
  screen = await waitFor(
    paneIf((s) => rowsOf(s).length >= 10),
    20_000,
    'the Blocks table',
  )
  const fits = (s: string, width: number) => s.split('\n').every((l) => l.length <= width)
  t.ok(fits(screen, 80), 'at 80×24 no line is wider than 80 columns')
  t.ok(screen.trimEnd().split('\n').length <= 24, 'nor are there more than 24 rows')
  const cut = rowsOf(screen).filter((l) => !/0x[0-9a-f]+(…[0-9a-f]+)?$/.test(l.trimEnd()))
  t.same(cut, [], 'at 80 columns every row shows its whole (abbreviated) block hash')

  tmux('resize-window', '-t', 'ex', '-x', '120', '-y', '40')
  screen = await waitFor(
    paneIf((s) => rowsOf(s).length >= 25),
    20_000,
    'the table on 40 rows',
  ).catch((e: Error) => {
    throw new Error(`${e.message}\n${pane()}`)
  })
  t.ok(fits(screen, 120), 'at 120×40 no line is wider than 120 columns')
  t.ok(
    rowsOf(screen).every((l) => l.trimEnd().length > 80 && /0x[0-9a-f]+(…[0-9a-f]+)?$/.test(l.trimEnd())),
    'at 120 columns the rows use the width (longer hashes), still whole',
  )

  // an account that produces no blocks: its 10 calls are asked again on heads with transactions,
  // or every 10 s, not on every empty head (which cost 10 calls each before)
  tmux('send-keys', '-t', 'ex', '/')
  await waitFor(() => pane().includes('search:'), 20_000, 'the search prompt')
  tmux('send-keys', '-t', 'ex', '-l', DEV_ACCOUNTS[5]!.address)
  await waitFor(() => pane().includes(DEV_ACCOUNTS[5]!.address.slice(-8)), 20_000, 'the address in the prompt')
  tmux('send-keys', '-t', 'ex', 'Enter')
  await waitFor(
    paneIf((s) => /NB balance/.test(s)),
    // generous: on a loaded machine the first answer can time out and the explorer reconnect first
    60_000,
    'the account',
  ).catch((e: Error) => {
    throw new Error(`${e.message}\n${pane()}`)
  })
  await measure('Account', ACCOUNT_CALLS_PER_BLOCK)

  // the systems' tabs (keys 6-9) at 80×24: whole tab line, the view's first lines, nothing wider
  // than the pane; each asks again only on heads with transactions or every 10 s
  tmux('resize-window', '-t', 'ex', '-x', '80', '-y', '24')
  const systems: [key: string, view: string, shows: RegExp][] = [
    ['6', 'Gov', /Parameters[\s\S]*fuelPricePerGb[\s\S]*Proposals \(0\)/],
    ['7', 'Storage', /Period\s+#[\d,]+[\s\S]*Offers \(0\)[\s\S]*Deals/],
    ['8', 'Channels', /Payment channels \(0\)/],
    ['9', 'Names', /Names {2}Enter: the record\s+none/],
  ]
  for (const [key, view, shows] of systems) {
    tmux('send-keys', '-t', 'ex', key)
    screen = await waitFor(
      paneIf((s) => shows.test(s)),
      20_000,
      `the ${view} tab`,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${pane()}`)
    })
    t.match(screen.split('\n')[0], /NFC {2}1 Das .* 9 Nam/, `${view}: the tab line holds all nine tabs at 80 columns`)
    t.ok(fits(screen, 80) && screen.trimEnd().split('\n').length <= 24, `${view}: fits 80×24`)
    await measure(view, SYSTEM_CALLS_PER_BLOCK)
  }

  tmux('send-keys', '-t', 'ex', 'q')
  await waitFor(() => spawnSync(TMUX, ['-L', socket, 'has-session', '-t', 'ex']).status !== 0, 20_000, 'the explorer to quit on q')
})
