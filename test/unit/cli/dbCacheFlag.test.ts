/**
 * `nfc node --db-cache SIZE` (src/cli/nodeCommand.ts): LevelDB's block cache, from argv,
 * NFC_DB_CACHE or the config file; bad sizes refused by name; the cache reaches the database.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { DEFAULT_DB_CACHE_BYTES, MAX_DB_CACHE_BYTES, openDatabase } from '../../../src/chain/db/level.js'
import { loadSettings } from '../../../src/cli/config.js'
import { NODE_LIST_FLAGS, NODE_OPTIONS, parseDbCache } from '../../../src/cli/nodeCommand.js'
import { expectUsageError } from '../../helpers/usageError.js'
import { CLI } from '../../helpers/nodeProcess.js'

const node = (argv: string[], env: NodeJS.ProcessEnv = {}) => loadSettings({ command: 'node', argv, options: NODE_OPTIONS, lists: NODE_LIST_FLAGS, env }).values

t.test('sizes from the flag, the variable or the file; absent: the default', async (t) => {
  t.equal(parseDbCache(node([])['db-cache'] as string | undefined), undefined, 'absent: the database takes DEFAULT_DB_CACHE_BYTES')
  t.equal(DEFAULT_DB_CACHE_BYTES, 64 * 1024 * 1024, 'which is 64 MiB')
  t.equal(parseDbCache(node(['--db-cache', '256MiB'])['db-cache'] as string), 256 * 1024 * 1024, '--db-cache 256MiB')
  t.equal(parseDbCache(node([], { NFC_DB_CACHE: '1GiB' })['db-cache'] as string), 1024 ** 3, 'NFC_DB_CACHE=1GiB')
  t.equal(parseDbCache('8388608'), 8 * 1024 * 1024, 'bytes')
  t.equal(parseDbCache(String(MAX_DB_CACHE_BYTES)), MAX_DB_CACHE_BYTES, 'the most classic-level takes')
})

t.test('bad sizes are refused, naming the flag', async (t) => {
  expectUsageError(t, () => parseDbCache('lots'), /--db-cache wants a size in bytes \(e\.g\. 5242880 or 5MiB\), got "lots"/)
  expectUsageError(t, () => parseDbCache('0'), /--db-cache wants a size/)
  expectUsageError(t, () => parseDbCache('4GiB'), /--db-cache is at most 4GiB − 1 byte \(4294967295\), got "4GiB"/)
})

t.test('the database opens with the cache it is given', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nfc-dbcache-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  for (const cacheBytes of [undefined, 1024 * 1024, MAX_DB_CACHE_BYTES]) {
    const db = await openDatabase(join(dir, 'db'), { cacheBytes })
    await db.put(Uint8Array.of(1), Uint8Array.of(2))
    t.same(await db.get(Uint8Array.of(1)), Uint8Array.of(2), `opens and reads with cacheSize ${cacheBytes ?? 'default'}`)
    await db.close()
  }
})

t.test('--help lists --db-cache', async (t) => {
  const help = execFileSync(process.execPath, [CLI, 'node', '--help'], { encoding: 'utf8' })
  t.match(help, /--db-cache SIZE\s+LevelDB's block cache/)
})
