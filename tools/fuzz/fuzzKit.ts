/**
 * What the RPC and P2P fuzzers share: the seeded PRNG (mulberry32: the same sequence everywhere
 * for one seed, so a failure reproduces), its helpers, and a process's memory from /proc.
 */
import { readFileSync } from 'node:fs'

/** mulberry32: small, fast, and the same sequence everywhere for one seed */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** the PRNG's helpers: ints, picks, chances, hex and bytes */
export class Rand {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n)
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!
  }
  chance(p: number): boolean {
    return this.next() < p
  }
  hex(bytes: number): string {
    let s = ''
    for (let i = 0; i < bytes * 2; i++) s += '0123456789abcdef'[this.int(16)]
    return s
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n)
    for (let i = 0; i < n; i++) b[i] = this.int(256)
    return b
  }
}

/** a process's peak (VmHWM) and current (VmRSS) resident memory in kB; undefined when unreadable */
export function memoryOf(pid: number): { hwmKb: number; rssKb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status)
    const rss = /VmRSS:\s+(\d+) kB/.exec(status)
    if (hwm === null || rss === null) return undefined
    return { hwmKb: Number(hwm[1]), rssKb: Number(rss[1]) }
  } catch {
    return undefined
  }
}
