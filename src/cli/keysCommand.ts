/**
 * `nfc keys new|list|import|export`: a keystore directory of Web3 Secret Storage (v3) files, the
 * format geth, ethers, MetaMask and Foundry read, so keys move between them and this node
 * (src/crypto/keystore.ts). Nothing here ever overwrites a file.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { randomBytes } from 'node:crypto'
import {
  addressOfKey,
  decryptKeystore,
  encryptKeystore,
  KeystoreError,
  parsePrivateKeyHex,
  parseKeystoreText,
  readKeystoreDir,
  SCRYPT_LIGHT,
  SCRYPT_STANDARD,
  writeKeystoreFile,
  writeNewFile,
  type KeystoreEntry,
} from '../crypto/keystore.js'
import { processIo, readPassword, UsageError, type CliIo } from './io.js'

export const DEFAULT_KEYSTORE_DIR = './data/keystore'

const HELP = `nfc keys — encrypted key files (Ethereum v3 keystores, as geth, ethers and MetaMask use)

Usage:
  nfc keys new    [--keystore DIR] [--password-file FILE] [--light]
  nfc keys list   [--keystore DIR]
  nfc keys import [--keystore DIR] [--password-file FILE] [--light]
                  (--private-key-file FILE | --keystore-file FILE)
  nfc keys export ADDRESS [--keystore DIR] [--password-file FILE] (--private-key | --out FILE)

  new       a fresh key, encrypted into a new file; prints its address and file
  list      index, address and file of every key in the keystore
  import    a private key (hex, 0x optional, in --private-key-file) or another wallet's keystore
            file (--keystore-file, opened with the password, stored re-encrypted with it)
  export    the key of ADDRESS: --private-key prints it in hex (a warning goes to stderr),
            --out FILE writes its keystore file (FILE must not exist)

Options:
  --keystore DIR        keystore directory (default ${DEFAULT_KEYSTORE_DIR}); files are named
                        UTC--<time>--<address>, as geth names them, mode 0600
  --password-file FILE  the password is the first line of FILE; without it the password is
                        asked on the terminal (twice for a new key), and without a terminal
                        it is an error
  --light               scrypt n = 2^12 instead of 2^17: fast and weak, for tests and
                        throwaway devnets only
  -h, --help            this text`

function readTextFile(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (e) {
    throw new UsageError(`cannot read --${flag} ${file}: ${(e as Error).message}`)
  }
}

/** The keystore entry of `address` (0x optional, any case), or a UsageError saying what is there. */
function findKey(entries: KeystoreEntry[], address: string, dir: string, io: CliIo): KeystoreEntry {
  if (!/^(0x)?[0-9a-fA-F]{40}$/.test(address)) throw new UsageError(`"${address}" is not an address (0x + 40 hex digits)`)
  const want = address.replace(/^0x/i, '').toLowerCase()
  const hits = entries.filter((e) => e.address?.slice(2).toLowerCase() === want)
  if (hits.length === 0) throw new UsageError(`no key for 0x${want} in ${dir} (see nfc keys list --keystore ${dir})`)
  if (hits.length > 1) io.err(`warning: ${hits.length} files hold 0x${want}; using ${hits[0]!.file}\n`)
  return hits[0]!
}

export async function keysCommand(argv: string[], io: CliIo = processIo()): Promise<number> {
  let values, positionals
  try {
    ;({ values, positionals } = parseArgs({
      args: argv,
      options: {
        keystore: { type: 'string' },
        'password-file': { type: 'string' },
        light: { type: 'boolean', default: false },
        'private-key-file': { type: 'string' },
        'keystore-file': { type: 'string' },
        'private-key': { type: 'boolean', default: false },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
      strict: true,
    }))
  } catch (e) {
    io.err(`nfc keys: ${(e as Error).message}\n\n${HELP}\n`)
    return 2
  }
  if (values.help) {
    io.out(HELP + '\n')
    return 0
  }
  const dir = resolve(values.keystore ?? DEFAULT_KEYSTORE_DIR)
  const scrypt = values.light ? SCRYPT_LIGHT : SCRYPT_STANDARD
  const [sub, ...args] = positionals
  try {
    const noArgs = (): void => {
      if (args.length > 0) throw new UsageError(`nfc keys ${sub} takes no arguments, got "${args.join(' ')}"`)
    }
    switch (sub) {
      case 'new': {
        noArgs()
        const password = await readPassword({ file: values['password-file'], confirm: true }, io)
        const key = freshKey()
        const ks = await encryptKeystore(key, password, { scrypt })
        const address = addressOfKey(key)
        const file = writeKeystoreFile(dir, ks, address)
        io.out(`address: ${address}\nfile:    ${file}\n`)
        return 0
      }
      case 'list': {
        noArgs()
        const entries = readKeystoreDir(dir)
        let i = 0
        for (const e of entries) {
          if (e.address === undefined) io.err(`warning: ${e.file}: ${e.error}\n`)
          else io.out(`#${i++}  ${e.address}  ${e.file}\n`)
        }
        if (i === 0) io.err(`no keys in ${dir}\n`)
        return 0
      }
      case 'import': {
        noArgs()
        const keyFile = values['private-key-file']
        const ksFile = values['keystore-file']
        if ((keyFile === undefined) === (ksFile === undefined)) throw new UsageError('import wants one of --private-key-file FILE or --keystore-file FILE')
        let key: Uint8Array
        let password: string
        if (keyFile !== undefined) {
          key = parsePrivateKeyHex(readTextFile('private-key-file', keyFile))
          password = await readPassword({ file: values['password-file'], confirm: true, what: 'password for the new key file' }, io)
        } else {
          const json = parseKeystoreText(readTextFile('keystore-file', ksFile!))
          password = await readPassword({ file: values['password-file'], confirm: false, what: `password of ${ksFile}` }, io)
          key = (await decryptKeystore(json, password)).privateKey
        }
        const address = addressOfKey(key)
        const existing = readKeystoreDir(dir).find((e) => e.address?.toLowerCase() === address.toLowerCase())
        if (existing !== undefined) throw new UsageError(`${address} is already in the keystore: ${existing.file}`)
        const file = writeKeystoreFile(dir, await encryptKeystore(key, password, { scrypt }), address)
        io.out(`address: ${address}\nfile:    ${file}\n`)
        return 0
      }
      case 'export': {
        if (args.length !== 1) throw new UsageError('export wants one ADDRESS (nfc keys export 0x… --private-key | --out FILE)')
        if (values['private-key'] === (values.out !== undefined)) throw new UsageError('export wants one of --private-key or --out FILE')
        const entry = findKey(readKeystoreDir(dir), args[0]!, dir, io)
        const password = await readPassword({ file: values['password-file'], confirm: false, what: `password of ${entry.address}` }, io)
        const { privateKey } = await decryptKeystore(entry.json, password)
        if (values['private-key']) {
          io.err('warning: this prints the private key in clear; anyone who sees it controls the account\n')
          io.out(`0x${Buffer.from(privateKey).toString('hex')}\n`)
        } else {
          const out = resolve(values.out!)
          writeNewFile(out, `${JSON.stringify(entry.json)}\n`)
          io.out(`wrote ${out}: the keystore file of ${entry.address} (same password)\n`)
        }
        return 0
      }
      case undefined:
        throw new UsageError('which command? new, list, import or export (nfc keys --help)')
      default:
        throw new UsageError(`unknown command "${sub}"; expected new, list, import or export`)
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof KeystoreError) {
      io.err(`nfc keys: ${e.message}\n`)
      return 1
    }
    throw e
  }
}

/** A fresh secp256k1 private key (draws again on the astronomically rare invalid scalar). */
export function freshKey(): Uint8Array {
  for (;;) {
    const k = new Uint8Array(randomBytes(32))
    try {
      addressOfKey(k)
      return k
    } catch {
      // zero or ≥ n
    }
  }
}
