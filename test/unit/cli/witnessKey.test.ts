/**
 * `nfc node --witness-key FILE [--password-file FILE]`: a v3 keystore (as `nfc keys new` and
 * `nfc genesis new` write it), a hex key file, or the plain JSON of `--insecure-plain-keys`;
 * every bad file or password is one clear UsageError. Last, the real CLI: `nfc genesis new`, then
 * `nfc node` with one of its keystores produces blocks as that witness.
 */
import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { bytesToHex } from '@ethereumjs/util'
import { UsageError, type CliIo } from '../../../src/cli/io.js'
import { loadWitnessKey } from '../../../src/cli/nodeCommand.js'
import { addressOfKey, encryptKeystore, SCRYPT_LIGHT } from '../../../src/crypto/keystore.js'
import { loadGenesisFile } from '../../../src/chain/genesis.js'
import { CLI, REPO_ROOT, runNodeExpectingFailure, startNode, tempDir, waitFor } from '../../helpers/nodeProcess.js'

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i + 1)
const noTty: CliIo = { out: () => {}, err: () => {}, tty: null }

async function usageError(t: Test, p: Promise<unknown>, message: RegExp, what: string): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  )
  t.ok(e instanceof UsageError, `${what}: a UsageError`)
  t.match((e as Error | undefined)?.message ?? '', message, what)
}

t.test('the three file forms, and every way they can be wrong', async (t) => {
  const dir = tempDir(t)
  const file = (name: string, text: string) => {
    const f = join(dir, name)
    writeFileSync(f, text)
    return f
  }
  const pw = file('pw', 'correct horse\nsecond line is ignored\n')
  const wrongPw = file('wrong', 'battery staple\n')
  const ks = file('ks.json', JSON.stringify(await encryptKeystore(KEY, 'correct horse', { scrypt: SCRYPT_LIGHT })))
  const hex = file('key.hex', `${bytesToHex(KEY)}\n`)
  const plain = file('plain.json', JSON.stringify({ address: addressOfKey(KEY), privateKey: bytesToHex(KEY) }))

  t.same(await loadWitnessKey(ks, pw, noTty), KEY, 'a keystore with its --password-file')
  t.same(await loadWitnessKey(hex, undefined, noTty), KEY, 'a hex file')
  t.same(await loadWitnessKey(file('bare.hex', bytesToHex(KEY).slice(2)), undefined, noTty), KEY, 'hex without 0x')
  t.same(await loadWitnessKey(plain, undefined, noTty), KEY, 'the plain JSON of genesis new --insecure-plain-keys')

  await usageError(t, loadWitnessKey(ks, wrongPw, noTty), /--witness-key .*ks\.json: wrong password \(MAC mismatch\)/, 'wrong password')
  await usageError(t, loadWitnessKey(ks, undefined, noTty), /no password: give --password-file FILE/, 'a keystore, no password file, no terminal')
  await usageError(t, loadWitnessKey(ks, join(dir, 'missing'), noTty), /cannot read --password-file .*missing/, 'a missing password file')
  await usageError(t, loadWitnessKey(hex, pw, noTty), /--password-file is for a keystore, but --witness-key .* holds a plain key/, 'a password for a hex key')
  await usageError(t, loadWitnessKey(plain, pw, noTty), /--password-file is for a keystore/, 'a password for the plain JSON')
  await usageError(t, loadWitnessKey(join(dir, 'nope'), undefined, noTty), /cannot read --witness-key .*nope/, 'a missing key file')
  await usageError(
    t,
    loadWitnessKey(file('short', '0x1234'), undefined, noTty),
    /must hold a 32-byte private key in hex \(0x…\) or an Ethereum v3 keystore/,
    'a short key',
  )
  await usageError(t, loadWitnessKey(file('broken.json', '{"crypto": '), pw, noTty), /--witness-key .*broken\.json: not valid JSON/, 'broken JSON')
  await usageError(t, loadWitnessKey(file('odd.json', '{"version": 3}'), pw, noTty), /--witness-key .*odd\.json: .*crypto/, 'JSON that is no keystore')
})

t.test('the CLI: nfc genesis new, then nfc node --witness-key <its keystore> --password-file', async (t) => {
  const dir = tempDir(t)
  const pw = join(dir, 'pw')
  writeFileSync(pw, 'witness pw\n')
  const out = join(dir, 'net.json')
  // a genesis a second in the future: its first slot is still to come when the node starts
  const made = spawnSync(
    process.execPath,
    [
      CLI,
      'genesis',
      'new',
      '--witnesses',
      '1',
      '--timestamp',
      String((Math.floor(Date.now() / 1000) + 1) * 1000),
      '--out',
      out,
      '--password-file',
      pw,
      '--light',
    ],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  )
  t.equal(made.status, 0, made.stderr)
  const keysDir = join(dir, 'net.keys')
  const [ksFile] = readdirSync(keysDir)
  const witness = loadGenesisFile(out).witnesses[0]!.address.toLowerCase()

  const bad = await runNodeExpectingFailure([
    'node',
    '--genesis',
    out,
    '--datadir',
    join(dir, 'bad'),
    '--rpc',
    '127.0.0.1:0',
    '--p2p',
    'off',
    '--witness-key',
    join(keysDir, ksFile!),
    '--password-file',
    out,
  ])
  t.not(bad.code, 0, 'a wrong password file: the node does not start')
  t.match(bad.stderr, /wrong password \(MAC mismatch\)/, 'and says why')

  const node = await startNode({
    dev: false,
    genesis: out,
    datadir: join(dir, 'data'),
    extraArgs: ['--p2p', 'off', '--witness-key', join(keysDir, ksFile!), '--password-file', pw],
  })
  t.teardown(() => node.stop())
  const rpc = async (method: string, params: unknown[] = []) => {
    const res = await fetch(node.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    })
    return ((await res.json()) as { result: any }).result
  }
  await waitFor(async () => Number(await rpc('eth_blockNumber')) >= 1, 30_000, 'the witness to produce block 1')
  const b1 = await rpc('eth_getBlockByNumber', ['0x1', false])
  t.equal(b1.miner.toLowerCase(), witness, 'block 1 is produced by the keystore witness')
  t.equal(await node.stop(), 0, 'and it stops cleanly')
})
