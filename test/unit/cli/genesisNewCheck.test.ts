/**
 * `nfc genesis new` (fresh witness keys in keystores, the devnet allocation, validated) and
 * `nfc genesis check` (the node's parser, every problem naming its field).
 */
import t from 'tap'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadGenesisFile } from '../../../src/chain/genesis.js'
import { genesisCommand } from '../../../src/cli/genesisCommand.js'
import type { CliIo } from '../../../src/cli/io.js'
import { decryptKeystore } from '../../../src/crypto/keystore.js'
import { TOTAL_SUPPLY } from '../../../src/execution/systemAddresses.js'
import { startNode, tempDir } from '../../helpers/inProcessNode.js'

async function genesis(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const io: CliIo = { out: (s) => void (out += s), err: (s) => void (err += s), tty: null }
  const code = await genesisCommand(args, io)
  return { code, out, err }
}

const TIME = '1700000000000'

t.test('new: keystores, a valid genesis, and a node that runs it', async (t) => {
  const dir = tempDir(t)
  const pw = join(dir, 'pw')
  writeFileSync(pw, 'witness pw\n')
  const out = join(dir, 'net.json')
  const r = await genesis(['new', '--witnesses', '3', '--chain-id', '7777', '--timestamp', TIME, '--out', out, '--password-file', pw, '--light'])
  t.equal(r.code, 0, r.err)
  t.match(r.out, `wrote ${out}: nfc-chain-7777, chain id 7777, 3 witnesses, timestamp ${TIME}`)
  const keysDir = join(dir, 'net.keys')
  t.match(r.out, `wrote 3 witness keys to ${keysDir} (v3 keystores`)

  const g = loadGenesisFile(out)
  t.equal(g.chainId, 7777n)
  t.equal(g.timestamp, Number(TIME))
  t.equal(g.params.witnessesPerRound, 3)
  t.equal(
    g.alloc.reduce((s, [, a]) => s + a.balance, 0n),
    TOTAL_SUPPLY,
    'the full allocation adds up',
  )
  const files = readdirSync(keysDir)
  t.equal(files.length, 3)
  const keys = new Map<string, Uint8Array>()
  for (const f of files) {
    t.match(f, /^UTC--.*--[0-9a-f]{40}$/)
    const k = await decryptKeystore(readFileSync(join(keysDir, f), 'utf8'), 'witness pw')
    keys.set(k.address, k.privateKey)
  }
  t.same([...keys.keys()].sort(), g.witnesses.map((w) => w.address).sort(), 'the keystores hold exactly the witnesses')

  const check = await genesis(['check', out])
  t.equal(check.code, 0)
  t.equal(check.out, 'ok: nfc-chain-7777, chain id 7777, 3 witnesses, total supply 2,100,000,000 NFC\n')

  // A node starts from it and the scheduled witness's key (from its keystore) produces block 1.
  const node = await startNode(t, { genesis: g })
  const schedule = await node.rpc('dpos_getSchedule', [])
  t.ok(schedule, 'dpos_getSchedule answers')
  let produced = false
  for (const key of keys.values()) {
    try {
      await node.produceBlock({ key, timestamp: BigInt(g.timestamp + g.params.blockIntervalMs) })
      produced = true
      break
    } catch {
      // not this witness's slot
    }
  }
  t.ok(produced, 'a witness key from the keystores produces block 1')
  t.equal(await node.rpc('eth_blockNumber', []), '0x1')
  t.equal(await node.rpc('eth_chainId', []), '0x1e61')

  const again = await genesis(['new', '--witnesses', '1', '--out', out, '--password-file', pw, '--light'])
  t.equal(again.code, 1)
  t.match(again.err, `${out} exists; use --force to overwrite it`)
  t.equal(readdirSync(keysDir).length, 3, 'no key written on refusal')
  const forced = await genesis(['new', '--witnesses', '1', '--out', out, '--password-file', pw, '--light', '--force'])
  t.equal(forced.code, 0, forced.err)
  t.equal(readdirSync(keysDir).length, 4, 'keys are added, never overwritten')
})

t.test('new: plain keys, --keys-dir, refusals', async (t) => {
  const dir = tempDir(t)
  const out = join(dir, 'plain.json')
  const kd = join(dir, 'somewhere')
  const r = await genesis(['new', '--witnesses', '2', '--out', out, '--keys-dir', kd, '--insecure-plain-keys', '--name', 'my-net'])
  t.equal(r.code, 0, r.err)
  t.match(r.out, /UNENCRYPTED JSON/)
  const g = loadGenesisFile(out)
  t.equal(g.name, 'my-net')
  const files = readdirSync(kd).sort()
  t.equal(files.length, 2)
  const k0 = JSON.parse(
    readFileSync(
      join(
        kd,
        files.find((f) => f.startsWith('witness-0-'))!,
      ),
      'utf8',
    ),
  )
  t.equal(k0.address, g.witnesses[0]!.address)
  t.match(k0.privateKey, /^0x[0-9a-f]{64}$/)

  const noPw = await genesis(['new', '--witnesses', '2', '--out', join(dir, 'x.json')])
  t.equal(noPw.code, 1)
  t.match(noPw.err, /no password: give --password-file FILE/)
  t.notOk(existsSync(join(dir, 'x.json')))
  t.notOk(existsSync(join(dir, 'x.keys')))
  t.match((await genesis(['new', '--out', join(dir, 'y.json')])).err, /--witnesses N is required/)
  t.match((await genesis(['new', '--witnesses', '102', '--out', join(dir, 'y.json')])).err, /--witnesses wants an integer from 1 to 101/)
  t.match(
    (await genesis(['new', '--witnesses', '1', '--insecure-plain-keys', '--name', 'bad name!', '--out', join(dir, 'y.json')])).err,
    /name: expected 1–64 characters/,
  )
  t.notOk(existsSync(join(dir, 'y.json')))
  t.match((await genesis(['--help'])).out, /--insecure-plain-keys[\s\S]*throwaway devnets/)
})

t.test('check: every problem, each naming its field', async (t) => {
  const dir = tempDir(t)
  const out = join(dir, 'good.json')
  t.equal((await genesis(['new', '--witnesses', '2', '--out', out, '--insecure-plain-keys'])).code, 0)
  const doc = JSON.parse(readFileSync(out, 'utf8'))
  doc.chainId = 'x'
  delete doc.timestamp
  doc.witnesses[1].bonusRatioBps = 20000
  doc.alloc[Object.keys(doc.alloc)[0]!].balance = '12.5'
  const bad = join(dir, 'bad.json')
  writeFileSync(bad, JSON.stringify(doc, null, 2))
  const r = await genesis(['check', bad])
  t.equal(r.code, 1)
  const lines = r.out.trim().split('\n')
  t.ok(lines.length >= 4, 'one line per problem')
  t.ok(
    lines.some((l) => l.startsWith('chainId: ')),
    'chainId named',
  )
  t.ok(
    lines.some((l) => l.startsWith('timestamp: missing')),
    'timestamp named',
  )
  t.ok(
    lines.some((l) => l.startsWith('witnesses[1].bonusRatioBps: ')),
    'witness field named',
  )
  t.ok(
    lines.some((l) => /^alloc\.0x[0-9a-fA-F]{40}\.balance: /.test(l)),
    'alloc balance named',
  )
  t.match(r.err, /problems/)

  const broken = join(dir, 'broken.json')
  writeFileSync(broken, '{\n  "name": "x",\n}\n')
  const b = await genesis(['check', broken])
  t.equal(b.code, 1)
  t.match(b.out, /broken\.json:2:\d+: invalid JSON: trailing comma/)
  const missing = await genesis(['check', join(dir, 'nope.json')])
  t.equal(missing.code, 1)
  t.match(missing.out, /genesis file not found/)
  t.match((await genesis(['check'])).err, /check wants one FILE/)
})
