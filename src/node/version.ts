import { readFileSync } from 'node:fs'
import { arch, platform } from 'node:os'
import { join } from 'node:path'
import { packageRoot } from '../util/packageRoot.js'

function packageVersion(): string {
  const root = packageRoot()
  if (root === null) return '0.0.0'
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version
}

/** web3_clientVersion, geth-style: name/version/os-arch/runtime */
export const CLIENT_VERSION = `nfc/v${packageVersion()}/${platform()}-${arch()}/node${process.versions.node}`
