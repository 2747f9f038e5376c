/**
 * Private keys from files, for every command that signs (`nfc node --witness-key`, `nfc flow
 * channel --key`): a 0x-hex private key, an Ethereum v3 keystore (what `nfc keys new` and `nfc
 * genesis new` write, and geth, ethers and MetaMask export) opened with the first line of
 * `--password-file` or a password asked on the terminal, or the plain {"address", "privateKey"}
 * file of `nfc genesis new --insecure-plain-keys`. Errors are UsageErrors naming the flag.
 */
import { readFileSync } from 'node:fs'
import { hexToBytes } from '@ethereumjs/util'
import { decryptKeystore, KeystoreError, parseKeystoreText } from '../crypto/keystore.js'
import { processIo, readPassword, UsageError, type CliIo } from './io.js'

/** The key in `file` (any of the forms above); `flag` names the option in error messages. */
export async function loadKeyFile(file: string, passwordFile: string | undefined, flag: string, io: CliIo = processIo()): Promise<Uint8Array> {
  const text = readKeyText(file, flag)
  if (!text.startsWith('{')) {
    if (passwordFile !== undefined) throw new UsageError(`--password-file is for a keystore, but ${flag} ${file} holds a plain key`)
    return keyOfHex(file, text, flag)
  }
  const json = keystoreJson(file, text, flag)
  // `nfc genesis new --insecure-plain-keys` writes {"address", "privateKey"}
  const plain = json as { privateKey?: unknown; crypto?: unknown; Crypto?: unknown }
  if (typeof plain.privateKey === 'string' && plain.crypto === undefined && plain.Crypto === undefined) {
    if (passwordFile !== undefined) throw new UsageError(`--password-file is for a keystore, but ${flag} ${file} holds a plain key`)
    return keyOfHex(file, plain.privateKey, flag)
  }
  const password = await readPassword({ file: passwordFile, confirm: false, what: `password of ${file}` }, io)
  try {
    return (await decryptKeystore(json, password)).privateKey
  } catch (e) {
    throw new UsageError(`${flag} ${file}: ${(e as Error).message}`)
  }
}

/** A key file in hex only (the devnet writes these for its nodes). */
export function readHexKeyFile(file: string, flag: string): Uint8Array {
  return keyOfHex(file, readKeyText(file, flag), flag)
}

function readKeyText(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8')
      .replace(/^\uFEFF/, '')
      .trim()
  } catch (e) {
    throw new UsageError(`cannot read ${flag} ${file}: ${(e as Error).message}`)
  }
}

function keyOfHex(file: string, text: string, flag: string): Uint8Array {
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(text)) {
    throw new UsageError(`${flag} ${file} must hold a 32-byte private key in hex (0x…) or an Ethereum v3 keystore (JSON)`)
  }
  return hexToBytes(`0x${text.replace(/^0x/, '')}`)
}

function keystoreJson(file: string, text: string, flag: string): unknown {
  try {
    return parseKeystoreText(text)
  } catch (e) {
    throw new UsageError(`${flag} ${file}: ${e instanceof KeystoreError ? e.message : String(e)}`)
  }
}
