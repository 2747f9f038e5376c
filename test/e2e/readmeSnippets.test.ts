/**
 * The README's first transfer runs as written (issue 18: snippets that drifted): its ethers
 * snippet is cut out of README.md, saved as an .mjs file as the README says, pointed at a fresh
 * dev node (the only change: the RPC URL) and run with node.
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { REPO_ROOT, startNode, tempDir } from '../helpers/nodeProcess.js'

const run = promisify(execFile)

t.test("README's ethers snippet: the transfer is mined and the balance printed", async (t) => {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8')
  const at = readme.indexOf('## A first transfer')
  t.ok(at >= 0, 'the README has its first-transfer section')
  const block = /```js\n([\s\S]*?)```/.exec(readme.slice(at))
  t.ok(block, 'with a js snippet')
  const code = block![1]!
  t.match(code, /http:\/\/127\.0\.0\.1:8545/, 'aimed at the default RPC address')

  const node = await startNode({ datadir: tempDir(t) })
  t.teardown(() => node.kill('SIGKILL'))
  // inside the repository (under .tap/, ignored by git, lint and prettier), so `import 'ethers'`
  // resolves from its node_modules as in a user's project
  fs.mkdirSync(path.join(REPO_ROOT, '.tap'), { recursive: true })
  const dir = fs.mkdtempSync(path.join(REPO_ROOT, '.tap', 'readme-snippet-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'first.mjs')
  fs.writeFileSync(file, code.replaceAll('http://127.0.0.1:8545', node.url))
  const { stdout } = await run(process.execPath, [file], { timeout: 60_000 })
  const [status, balance] = stdout.trim().split(/\s+/)
  t.equal(status, '1', 'the receipt status')
  // console.log writes a bigint with its n
  t.equal(balance, `${10_000n * 10n ** 18n + 15n * 10n ** 17n}n`, 'dev account 1: 10,000 NFC + 1.5')
})
