import { readFileSync } from 'node:fs'
import { arch, platform } from 'node:os'

function packageVersion(): string {
  // src/node/version.ts and dist/src/node/version.js both reach package.json by walking up
  let dir = new URL('.', import.meta.url)
  for (let i = 0; i < 5; i++) {
    try {
      return JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')).version as string
    } catch {
      dir = new URL('..', dir)
    }
  }
  return '0.0.0'
}

/** web3_clientVersion, geth-style: name/version/os-arch/runtime */
export const CLIENT_VERSION = `nfc/v${packageVersion()}/${platform()}-${arch()}/node${process.versions.node}`
