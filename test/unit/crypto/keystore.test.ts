/**
 * v3 keystores (src/crypto/keystore.ts): the Web3 Secret Storage test vectors, round trips with
 * ethers (which every other wallet agrees with), wrong passwords and damaged files.
 */
import t, { type Test } from 'tap'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { computeAddress, encryptKeystoreJson, Wallet } from 'ethers'
import {
  decryptKeystore,
  encryptKeystore,
  keystoreFileName,
  KeystoreError,
  parsePrivateKeyHex,
  readKeystoreDir,
  SCRYPT_LIGHT,
  SCRYPT_STANDARD,
  writeKeystoreFile,
  writeNewFile,
} from '../../../src/crypto/keystore.js'
import { tempDir } from '../../helpers/inProcessNode.js'

// Web3 Secret Storage Definition (ethereum.org), password "testpassword". Note r = 1, p = 8 in
// the scrypt vector: OpenSSL refuses n ≥ 2^(16·r), so this also covers the noble fallback.
const VECTOR_KEY = '7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d'
const SCRYPT_VECTOR = {
  crypto: {
    cipher: 'aes-128-ctr',
    cipherparams: { iv: '83dbcc02d8ccb40e466191a123791e0e' },
    ciphertext: 'd172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c',
    kdf: 'scrypt',
    kdfparams: { dklen: 32, n: 262144, p: 8, r: 1, salt: 'ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19' },
    mac: '2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097',
  },
  id: '3198bc9c-6672-5ab3-d995-4942343ae5b6',
  version: 3,
}
const PBKDF2_VECTOR = {
  crypto: {
    cipher: 'aes-128-ctr',
    cipherparams: { iv: '6087dab2f9fdbbfaddc31a909735c1e6' },
    ciphertext: '5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46',
    kdf: 'pbkdf2',
    kdfparams: { c: 262144, dklen: 32, prf: 'hmac-sha256', salt: 'ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd' },
    mac: '517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2',
  },
  id: '3198bc9c-6672-5ab3-d995-4942343ae5b6',
  version: 3,
}
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T

async function rejectsWith(t: Test, p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  let err: unknown
  try {
    await p
  } catch (e) {
    err = e
  }
  t.ok(err instanceof KeystoreError, `a KeystoreError (${code})`)
  t.equal((err as KeystoreError | undefined)?.code, code)
  t.match((err as Error | undefined)?.message ?? '', message)
}

t.test('Web3 Secret Storage test vectors', async (t) => {
  const address = computeAddress(`0x${VECTOR_KEY}`)
  for (const [name, v] of [
    ['scrypt', SCRYPT_VECTOR],
    ['pbkdf2', PBKDF2_VECTOR],
  ] as const) {
    const k = await decryptKeystore(v, 'testpassword')
    t.equal(hex(k.privateKey), VECTOR_KEY, `${name}: the spec's private key`)
    t.equal(k.address, address, `${name}: its address (ethers computeAddress)`)
    await rejectsWith(t, decryptKeystore(v, 'testpassworD'), 'KEYSTORE_WRONG_PASSWORD', /^wrong password \(MAC mismatch\)$/)
  }
  t.equal(address, '0x008AeEda4D805471dF9b2A5B0f38A0C3bCBA786b')
  // Re-encrypting with the vector's salt, iv and parameters reproduces the vector exactly.
  const again = await encryptKeystore(Buffer.from(VECTOR_KEY, 'hex'), 'testpassword', {
    scrypt: { n: 262144, r: 1, p: 8 },
    salt: Buffer.from(SCRYPT_VECTOR.crypto.kdfparams.salt, 'hex'),
    iv: Buffer.from(SCRYPT_VECTOR.crypto.cipherparams.iv, 'hex'),
    id: SCRYPT_VECTOR.id,
  })
  t.same(again.crypto, SCRYPT_VECTOR.crypto, 'encrypt reproduces the scrypt vector')
})

t.test('our files open in ethers, and ethers files open here', async (t) => {
  const wallet = Wallet.createRandom()
  const key = Buffer.from(wallet.privateKey.slice(2), 'hex')
  const ours = await encryptKeystore(key, 'correct horse', { scrypt: SCRYPT_LIGHT })
  t.equal(ours.version, 3)
  t.match(ours.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a v4 uuid')
  t.equal(ours.address, wallet.address.slice(2).toLowerCase(), 'address as geth writes it')
  t.same(ours.crypto.kdfparams, { ...ours.crypto.kdfparams, dklen: 32, n: 4096, r: 8, p: 1 })
  const opened = await Wallet.fromEncryptedJson(JSON.stringify(ours), 'correct horse')
  t.equal(opened.privateKey, wallet.privateKey, 'ethers decrypts our file to the same key')
  t.equal(opened.address, wallet.address)

  // (Wallet#encrypt's second argument is a progress callback; the options go here)
  const theirs = await encryptKeystoreJson({ address: wallet.address, privateKey: wallet.privateKey, mnemonic: wallet.mnemonic! }, 'p@ss wörd', {
    scrypt: { N: 4096 },
  })
  const doc = JSON.parse(theirs)
  t.equal((doc.Crypto ?? doc.crypto).kdfparams.n, 4096, 'ethers wrote n = 4096 (under "Crypto", which we accept)')
  const k = await decryptKeystore(theirs, 'p@ss wörd')
  t.equal(`0x${hex(k.privateKey)}`, wallet.privateKey, 'we decrypt an ethers file')
  t.equal(k.address, wallet.address)

  const std = await encryptKeystore(key, 'pw')
  t.same([std.crypto.kdfparams.n, std.crypto.kdfparams.r, std.crypto.kdfparams.p], [SCRYPT_STANDARD.n, 8, 1], 'default scrypt n = 2^17')
  t.equal(hex((await decryptKeystore(JSON.stringify(std), 'pw')).privateKey), hex(key), 'JSON text works too')
})

t.test('damaged files: each error names the problem', async (t) => {
  const good = await encryptKeystore(parsePrivateKeyHex(VECTOR_KEY), 'pw', { scrypt: SCRYPT_LIGHT })
  const cases: [string, (j: any) => unknown, string, RegExp][] = [
    ['not JSON', () => '{"version": 3, "crypto": ', 'KEYSTORE_INVALID', /not valid JSON/],
    ['not an object', () => [1, 2], 'KEYSTORE_INVALID', /^\(top level\): expected a JSON object/],
    ['version 1', (j) => ({ ...j, version: 1 }), 'KEYSTORE_INVALID', /^version: only version 3/],
    ['no crypto', (j) => ({ ...j, crypto: undefined }), 'KEYSTORE_INVALID', /^crypto: expected an object/],
    ['short iv', (j) => ((j.crypto.cipherparams.iv = 'abcd'), j), 'KEYSTORE_INVALID', /^crypto\.cipherparams\.iv: expected 16 bytes/],
    ['ciphertext not hex', (j) => ((j.crypto.ciphertext = 'zz'.repeat(32)), j), 'KEYSTORE_INVALID', /^crypto\.ciphertext: not valid hex/],
    ['no mac', (j) => ((j.crypto.mac = undefined), j), 'KEYSTORE_INVALID', /^crypto\.mac: expected a hex string/],
    ['unknown kdf', (j) => ((j.crypto.kdf = 'argon2'), j), 'KEYSTORE_UNSUPPORTED', /^crypto\.kdf: "argon2" is not supported/],
    ['other cipher', (j) => ((j.crypto.cipher = 'aes-128-cbc'), j), 'KEYSTORE_UNSUPPORTED', /^crypto\.cipher: only aes-128-ctr/],
    ['n not a power of two', (j) => ((j.crypto.kdfparams.n = 1000), j), 'KEYSTORE_INVALID', /^crypto\.kdfparams\.n: scrypt needs a power of two/],
    ['n absurdly large', (j) => ((j.crypto.kdfparams.n = 2 ** 24), j), 'KEYSTORE_UNSUPPORTED', /^crypto\.kdfparams: scrypt n=16777216/],
    ['dklen 16', (j) => ((j.crypto.kdfparams.dklen = 16), j), 'KEYSTORE_INVALID', /^crypto\.kdfparams\.dklen: expected 32/],
    ['bad address', (j) => ({ ...j, address: 'xyz' }), 'KEYSTORE_INVALID', /^address: expected 40 hex digits/],
    [
      'other address',
      (j) => ({ ...j, address: '11'.repeat(20) }),
      'KEYSTORE_ADDRESS_MISMATCH',
      /^address: the file names 0x1111111111111111111111111111111111111111 but its key belongs to 0x008AeE/,
    ],
    [
      'tampered ciphertext',
      (j) => ((j.crypto.ciphertext = `00${j.crypto.ciphertext.slice(2)}`), j),
      'KEYSTORE_WRONG_PASSWORD',
      /wrong password \(MAC mismatch\)/,
    ],
  ]
  for (const [name, edit, code, message] of cases) {
    await t.test(name, (t) => rejectsWith(t, decryptKeystore(edit(clone(good)), 'pw'), code, message))
  }
})

t.test('private keys from hex', async (t) => {
  t.equal(hex(parsePrivateKeyHex(` 0x${VECTOR_KEY}\n`)), VECTOR_KEY)
  t.equal(hex(parsePrivateKeyHex(VECTOR_KEY.toUpperCase())), VECTOR_KEY)
  t.throws(() => parsePrivateKeyHex('0x1234'), /64 hex digits/)
  t.throws(() => parsePrivateKeyHex('00'.repeat(32)), /not a valid secp256k1 private key/)
  t.throws(() => parsePrivateKeyHex('ff'.repeat(32)), /not a valid secp256k1 private key/)
})

t.test('files: geth names, mode 0600, never overwritten', async (t) => {
  const dir = join(tempDir(t), 'ks')
  t.equal(
    keystoreFileName('0x008AeEda4D805471dF9b2A5B0f38A0C3bCBA786b', new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678))),
    'UTC--2024-01-02T03-04-05.678000000Z--008aeeda4d805471df9b2a5b0f38a0c3bcba786b',
  )
  const ks = await encryptKeystore(Buffer.from(VECTOR_KEY, 'hex'), 'pw', { scrypt: SCRYPT_LIGHT })
  const when = new Date(Date.UTC(2024, 0, 2))
  const file = writeKeystoreFile(dir, ks, '0x008AeEda4D805471dF9b2A5B0f38A0C3bCBA786b', when)
  t.equal(statSync(file).mode & 0o777, 0o600)
  t.equal(statSync(dir).mode & 0o777, 0o700)
  t.throws(() => writeKeystoreFile(dir, { other: true }, '0x008AeEda4D805471dF9b2A5B0f38A0C3bCBA786b', when), { code: 'KEYSTORE_EXISTS' })
  t.same(JSON.parse(readFileSync(file, 'utf8')), ks, 'the first file is intact')
  t.throws(() => writeNewFile(file, 'x'), /exists; not overwriting it/)
  writeNewFile(join(dir, 'junk.json'), '{ nope')
  const entries = readKeystoreDir(dir)
  t.equal(entries.length, 2)
  t.equal(entries.find((e) => e.file === file)?.address, '0x008AeEda4D805471dF9b2A5B0f38A0C3bCBA786b')
  t.match(entries.find((e) => e.file.endsWith('junk.json'))?.error, /not valid JSON/)
  t.same(readKeystoreDir(join(dir, 'missing')), [], 'a missing directory is an empty keystore')
  t.ok(existsSync(file))
})
