/**
 * `nfc keys new|list|import|export`, run in-process with captured output (and once through the
 * built CLI): keystore files that ethers opens, imports from ethers, and every refusal.
 */
import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { encryptKeystoreJson, Wallet } from 'ethers'
import type { CliIo } from '../../../src/cli/io.js'
import { keysCommand } from '../../../src/cli/keysCommand.js'
import { DEV_ACCOUNTS } from '../../../src/node/devAccounts.js'
import { repoRoot, tempDir } from '../../helpers/inProcessNode.js'

interface Run {
  code: number
  out: string
  err: string
}

async function keys(args: string[], typed?: string): Promise<Run> {
  let out = ''
  let err = ''
  let tty: CliIo['tty'] = null
  if (typed !== undefined) {
    // a stand-in terminal: raw mode is recorded, the keystrokes arrive as one chunk (a paste)
    const s = new PassThrough() as unknown as NodeJS.ReadStream & { raw: boolean[] }
    s.raw = []
    s.setRawMode = (mode: boolean) => (s.raw.push(mode), s)
    s.end(typed)
    tty = s
  }
  const io: CliIo = { out: (s) => void (out += s), err: (s) => void (err += s), tty }
  const code = await keysCommand(args, io)
  return { code, out, err }
}

function setup(t: Test): { dir: string; ks: string; pw: string; common: string[] } {
  const dir = tempDir(t)
  const pw = join(dir, 'pw.txt')
  writeFileSync(pw, 'hunter2 with spaces\nsecond line is ignored\n')
  const ks = join(dir, 'keystore')
  return { dir, ks, pw, common: ['--keystore', ks, '--password-file', pw, '--light'] }
}

t.test('new, list, export: files ethers opens', async (t) => {
  const { dir, ks, common } = setup(t)
  const made = await keys(['new', ...common])
  t.equal(made.code, 0, made.err)
  const [, address, file] = /^address: (0x[0-9a-fA-F]{40})\nfile: +(\S+)\n$/.exec(made.out) ?? []
  t.ok(address && file, 'prints the address and the file')
  t.match(file!, new RegExp(`/UTC--\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\d\\.\\d{9}Z--${address!.slice(2).toLowerCase()}$`), 'a geth file name')
  const wallet = await Wallet.fromEncryptedJson(readFileSync(file!, 'utf8'), 'hunter2 with spaces')
  t.equal(wallet.address, address, 'ethers opens it with the first line of the password file')

  const second = await keys(['new', ...common])
  const list = await keys(['list', '--keystore', ks])
  t.equal(list.code, 0)
  const lines = list.out.trim().split('\n')
  t.equal(lines.length, 2)
  t.match(list.out, `#0  ${address}  ${file}`)
  t.match(lines[1], /^#1  0x[0-9a-fA-F]{40}  \S+$/)
  t.match(second.out, lines[1]!.split('  ')[1]!)

  const exp = await keys(['export', address!.toLowerCase(), ...common, '--private-key'])
  t.equal(exp.code, 0, exp.err)
  t.equal(exp.out, `${wallet.privateKey}\n`, 'prints the key on stdout')
  t.match(exp.err, /warning: .*private key in clear/, 'after a warning on stderr')

  const out = join(dir, 'exported.json')
  const ex2 = await keys(['export', address!, ...common, '--out', out])
  t.equal(ex2.code, 0, ex2.err)
  t.equal((await Wallet.fromEncryptedJson(readFileSync(out, 'utf8'), 'hunter2 with spaces')).address, address, 'the exported file opens')
  const ex3 = await keys(['export', address!, ...common, '--out', out])
  t.equal(ex3.code, 1)
  t.match(ex3.err, /exists; not overwriting it/)
})

t.test('import a private key and an ethers keystore', async (t) => {
  const { dir, ks, pw, common } = setup(t)
  const keyFile = join(dir, 'key.txt')
  writeFileSync(keyFile, `${DEV_ACCOUNTS[1]!.privateKey.slice(2)}\n`) // 0x optional
  const imp = await keys(['import', ...common, '--private-key-file', keyFile])
  t.equal(imp.code, 0, imp.err)
  t.match(imp.out, `address: ${DEV_ACCOUNTS[1]!.address}\n`)
  const again = await keys(['import', ...common, '--private-key-file', keyFile])
  t.equal(again.code, 1)
  t.match(again.err, `${DEV_ACCOUNTS[1]!.address} is already in the keystore`)

  const w = Wallet.createRandom()
  const other = join(dir, 'from-ethers.json')
  writeFileSync(other, await encryptKeystoreJson({ address: w.address, privateKey: w.privateKey }, 'their pw', { scrypt: { N: 4096 } }))
  const theirPw = join(dir, 'their-pw.txt')
  writeFileSync(theirPw, 'their pw')
  const wrong = await keys(['import', '--keystore', ks, '--password-file', pw, '--light', '--keystore-file', other])
  t.equal(wrong.code, 1)
  t.equal(wrong.err, 'nfc keys: wrong password (MAC mismatch)\n')
  const ok = await keys(['import', '--keystore', ks, '--password-file', theirPw, '--light', '--keystore-file', other])
  t.equal(ok.code, 0, ok.err)
  t.match(ok.out, `address: ${w.address}`)
  const exp = await keys(['export', w.address, '--keystore', ks, '--password-file', theirPw, '--private-key'])
  t.equal(exp.out, `${w.privateKey}\n`, 'stored under the same password')
  t.equal((await keys(['list', '--keystore', ks])).out.trim().split('\n').length, 2)
})

t.test('refusals', async (t) => {
  const { dir, ks, pw, common } = setup(t)
  const noPw = await keys(['new', '--keystore', ks, '--light'])
  t.equal(noPw.code, 1)
  t.match(noPw.err, /no password: give --password-file FILE \(stdin is not a terminal/)
  t.notOk(existsSync(ks), 'nothing written')

  const made = await keys(['new', ...common])
  const address = /address: (\S+)/.exec(made.out)![1]!
  const badPw = join(dir, 'bad-pw')
  writeFileSync(badPw, 'nope\n')
  const wrong = await keys(['export', address, '--keystore', ks, '--password-file', badPw, '--private-key'])
  t.equal(wrong.code, 1)
  t.equal(wrong.err, 'nfc keys: wrong password (MAC mismatch)\n')
  t.equal(wrong.out, '')

  writeFileSync(join(ks, 'UTC--broken'), '{"version":3,"crypto":')
  writeFileSync(join(ks, 'UTC--noiv'), JSON.stringify({ version: 3, address: '11'.repeat(20), crypto: { cipher: 'aes-128-ctr', cipherparams: {} } }))
  const list = await keys(['list', '--keystore', ks])
  t.equal(list.code, 0)
  t.equal(list.out.trim().split('\n').length, 1, 'the good key is still listed')
  t.match(list.err, /UTC--broken: not valid JSON/)
  t.match(list.err, /UTC--noiv: crypto\.cipherparams\.iv: expected a hex string/)

  const keyFile = join(dir, 'bad.key')
  writeFileSync(keyFile, '0x1234')
  const badKey = await keys(['import', ...common, '--private-key-file', keyFile])
  t.equal(badKey.code, 1)
  t.match(badKey.err, /a private key is 64 hex digits/)
  t.match((await keys(['import', ...common])).err, /one of --private-key-file FILE or --keystore-file FILE/)
  t.match((await keys(['export', address, ...common])).err, /one of --private-key or --out FILE/)
  t.match((await keys(['export', '0x' + '22'.repeat(20), ...common, '--private-key'])).err, /no key for 0x2222/)
  t.match((await keys(['frob'])).err, /unknown command "frob"/)
  t.equal((await keys(['--bogus'])).code, 2)
  t.match((await keys(['--help'])).out, /--password-file FILE/)
  t.equal(readdirSync(ks).length, 3, 'nothing else was written')
  t.ok(pw)
})

t.test('passwords typed on a terminal', async (t) => {
  const { ks } = setup(t)
  const made = await keys(['new', '--keystore', ks, '--light'], 'typed pw\rtyped pw\r')
  t.equal(made.code, 0, made.err)
  t.match(made.err, /^Password: \nRepeat it: \n$/, 'asked twice, nothing echoed')
  const address = /address: (\S+)/.exec(made.out)![1]!
  const exp = await keys(['export', address, '--keystore', ks, '--private-key'], 'typed pw\n')
  t.equal(exp.code, 0, exp.err)
  t.match(exp.out, /^0x[0-9a-f]{64}\n$/)
  const mismatch = await keys(['new', '--keystore', ks, '--light'], 'one\rtwo\r')
  t.equal(mismatch.code, 1)
  t.match(mismatch.err, /the passwords do not match/)
  const empty = await keys(['new', '--keystore', ks, '--light'], '\r\r')
  t.match(empty.err, /is empty; a key file needs a password/)
  const bs = await keys(['export', address, '--keystore', ks, '--private-key'], 'typed pwx\u007f\r')
  t.equal(bs.code, 0, 'backspace erases')
  const eof = await keys(['new', '--keystore', ks, '--light'], 'no newline')
  t.match(eof.err, /the input ended before a line was typed/)
})

t.test('the built CLI', async (t) => {
  const cli = join(repoRoot, 'dist', 'src', 'bin', 'nfc.js')
  if (!existsSync(cli)) {
    t.comment('skipped: not built (npm run build)')
    return
  }
  const { ks, common } = setup(t)
  const made = spawnSync(process.execPath, [cli, 'keys', 'new', ...common], { encoding: 'utf8', input: '' })
  t.equal(made.status, 0, made.stderr)
  const address = /address: (\S+)/.exec(made.stdout)?.[1]
  const list = spawnSync(process.execPath, [cli, 'keys', 'list', '--keystore', ks], { encoding: 'utf8' })
  t.equal(list.status, 0)
  t.match(list.stdout, `#0  ${address}`)
  const noPw = spawnSync(process.execPath, [cli, 'keys', 'new', '--keystore', ks], { encoding: 'utf8', input: '' })
  t.equal(noPw.status, 1)
  t.match(noPw.stderr, /no password/)
})
