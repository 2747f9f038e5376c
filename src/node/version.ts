/**
 * What this build is: the package version, the git commit it was built from, and a hash of the
 * WASM core it loads (`nfc --version`, web3_clientVersion). Read once at start, never in consensus.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { arch, platform } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import { packageRoot } from '../util/packageRoot.js'

function packageVersion(root: string | null): string {
  if (root === null) return '0.0.0'
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version
}

/**
 * The commit checked out at `root`, read from its .git (no git binary needed; a worktree's .git
 * file is followed); null outside a git checkout (an npm tarball, a Docker image without .git).
 */
export function gitCommit(root: string | null): string | null {
  if (root === null) return null
  const dotGit = join(root, '.git')
  try {
    if (statSync(dotGit).isDirectory()) return commitIn(dotGit)
    // a worktree or submodule: .git is a file naming the real git dir
    const m = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, 'utf8'))
    if (m === null) return null
    return commitIn(isAbsolute(m[1]!) ? m[1]! : resolve(root, m[1]!))
  } catch {
    return null
  }
}

function commitIn(gitDir: string): string | null {
  try {
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim()
    if (/^[0-9a-f]{40}$/.test(head)) return head
    const ref = /^ref: (.+)$/.exec(head)?.[1]
    if (ref === undefined) return null
    // a worktree keeps its HEAD apart, but refs live in the common dir
    const common = existsSync(join(gitDir, 'commondir')) ? resolve(gitDir, readFileSync(join(gitDir, 'commondir'), 'utf8').trim()) : gitDir
    for (const dir of [gitDir, common]) {
      const loose = join(dir, ref)
      if (existsSync(loose)) return readFileSync(loose, 'utf8').trim()
    }
    const packed = join(common, 'packed-refs')
    if (!existsSync(packed)) return null
    const line = readFileSync(packed, 'utf8')
      .split('\n')
      .find((l) => l.endsWith(` ${ref}`))
    return line?.slice(0, 40) ?? null
  } catch {
    return null
  }
}

/** sha256 of build/release.wasm (the core the node loads), or null when it is not built */
function wasmCoreHash(root: string | null): string | null {
  const file = root === null ? null : join(root, 'build', 'release.wasm')
  if (file === null || !existsSync(file)) return null
  return createHash('sha256').update(readFileSync(file)).digest('hex')
}

export interface BuildInfo {
  version: string
  /** 40 hex digits, or null outside a git checkout */
  commit: string | null
  /** sha256 of the WASM core, or null when only the JS fallback exists */
  wasmCore: string | null
  node: string
  platform: string
}

let cached: BuildInfo | undefined

export function buildInfo(): BuildInfo {
  if (cached) return cached
  const root = packageRoot()
  cached = {
    version: packageVersion(root),
    commit: gitCommit(root),
    wasmCore: wasmCoreHash(root),
    node: process.versions.node,
    platform: `${platform()}-${arch()}`,
  }
  return cached
}

/** `nfc --version`: one line, like `geth version`'s essentials */
export function versionText(b: BuildInfo = buildInfo()): string {
  const commit = b.commit === null ? 'unknown commit' : `commit ${b.commit.slice(0, 12)}`
  const core = b.wasmCore === null ? 'no WASM core (JS fallback)' : `wasm core sha256 ${b.wasmCore.slice(0, 16)}`
  return `nfc ${b.version} (${commit}, ${core}) node v${b.node} ${b.platform}`
}

/** web3_clientVersion, geth-style: name/version-commit/os-arch/runtime */
export const CLIENT_VERSION = (() => {
  const b = buildInfo()
  return `nfc/v${b.version}${b.commit === null ? '' : `-${b.commit.slice(0, 8)}`}/${b.platform}/node${b.node}`
})()
