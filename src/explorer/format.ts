/**
 * Text formatting for the explorer: NFC amounts, hashes cut to the room there is, times as local
 * time plus age. Pure functions over the RPC's hex quantities, so they are tested with plain values.
 */

/** A hex quantity (or decimal string / number) as a bigint; undefined when absent or malformed. */
export function big(v: unknown): bigint | undefined {
  if (typeof v === 'bigint') return v
  if (typeof v === 'number' && Number.isFinite(v)) return BigInt(Math.trunc(v))
  if (typeof v !== 'string' || v === '') return undefined
  try {
    return BigInt(v)
  } catch {
    return undefined
  }
}

/** A hex quantity as a JS number (for counts, block numbers, timestamps); undefined when absent. */
export function num(v: unknown): number | undefined {
  const b = big(v)
  return b === undefined ? undefined : Number(b)
}

/** 1234567 → "1,234,567" */
export function thousands(n: bigint | number): string {
  const s = BigInt(n).toString()
  const neg = s.startsWith('-')
  const digits = neg ? s.slice(1) : s
  return (neg ? '-' : '') + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

const WEI_PER_NFC = 10n ** 18n

/**
 * Wei → "1,234.5 NFC". `decimals` is how many fraction digits to keep at most (18 = exact);
 * a non-zero amount too small to show says so rather than printing 0.
 */
export function formatNfc(wei: unknown, decimals = 6): string {
  return formatToken(wei, 'NFC', decimals)
}

/** NB wei (18 decimals, like NFC) → "1,234.5 NB", with formatNfc's rules. */
export function formatNb(wei: unknown, decimals = 6): string {
  return formatToken(wei, 'NB', decimals)
}

function formatToken(wei: unknown, unit: string, decimals: number): string {
  const v = big(wei)
  if (v === undefined) return '—'
  const neg = v < 0n
  const a = neg ? -v : v
  const whole = a / WEI_PER_NFC
  const frac = (a % WEI_PER_NFC)
    .toString()
    .padStart(18, '0')
    .slice(0, Math.max(0, Math.min(18, decimals)))
    .replace(/0+$/, '')
  if (whole === 0n && frac === '' && a !== 0n) return decimals <= 0 ? `<1 ${unit}` : `<0.${'0'.repeat(Math.min(17, decimals - 1))}1 ${unit}`
  return `${neg ? '-' : ''}${thousands(whole)}${frac === '' ? '' : '.' + frac} ${unit}`
}

/** Gwei with up to 3 decimals: gas prices. */
export function formatGwei(wei: unknown): string {
  const v = big(wei)
  if (v === undefined) return '—'
  const milli = (v * 1000n) / 10n ** 9n
  const whole = milli / 1000n
  const frac = (milli % 1000n).toString().padStart(3, '0').replace(/0+$/, '')
  return `${thousands(whole)}${frac === '' ? '' : '.' + frac} gwei`
}

/**
 * A hash or address cut to `width` characters: "0x1234…cdef". The full value when it fits;
 * never shorter than "0x12…ef" so it stays recognisable.
 */
export function abbreviate(hash: string | null | undefined, width: number): string {
  if (hash === null || hash === undefined) return '—'
  if (hash.length <= width) return hash
  const room = Math.max(4, width - 3) // "0x" + "…"
  const head = Math.ceil(room / 2)
  const tail = room - head
  return `0x${hash.slice(2, 2 + head)}…${hash.slice(hash.length - tail)}`
}

/** Milliseconds → "5s", "3m 02s", "2h 05m", "3d 04h". */
export function formatAge(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) ms = 0
  const s = Math.floor(ms / 1000)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`
  const h = Math.floor(m / 60)
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m`
  const d = Math.floor(h / 24)
  return `${d}d ${String(h % 24).padStart(2, '0')}h`
}

const two = (n: number) => String(n).padStart(2, '0')

/** Epoch ms → local "2024-01-31 13:05:09". */
export function formatLocalTime(ms: number): string {
  const d = new Date(ms)
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
}

/** Epoch ms → "2024-01-31 13:05:09 (12s ago)" */
export function formatTimeAndAge(ms: number, now: number): string {
  return `${formatLocalTime(ms)} (${formatAge(now - ms)} ago)`
}

/**
 * A block's time in ms: the chain keeps slot times in ms (`timestampMs`); the Ethereum
 * `timestamp` field is seconds, used when a node does not send the former.
 */
export function blockTimeMs(block: Record<string, unknown>): number | undefined {
  const ms = num(block.timestampMs)
  if (ms !== undefined) return ms
  const s = num(block.timestamp)
  return s === undefined ? undefined : s * 1000
}

/** Bytes → "1.50 GB" (decimal units: traffic is sold per GB). */
export function formatBytes(n: unknown): string {
  const v = big(n)
  if (v === undefined) return '—'
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB', 'EB']
  let i = 0
  let scaled = v * 100n
  while (scaled >= 100_000n && i < units.length - 1) {
    scaled /= 1000n
    i++
  }
  if (i === 0) return `${v} B`
  return `${scaled / 100n}.${(scaled % 100n).toString().padStart(2, '0')} ${units[i]}`
}

/** Basis points → "12.5%". */
export function formatBps(bps: unknown): string {
  const v = num(bps)
  if (v === undefined) return '—'
  return `${(v / 100).toFixed(2).replace(/\.?0+$/, '')}%`
}

/** `s` padded or cut (with "…") to exactly `width` characters. */
export function fit(s: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return ''
  if (s.length > width) return width === 1 ? '…' : s.slice(0, width - 1) + '…'
  return align === 'left' ? s.padEnd(width) : s.padStart(width)
}

/** `s` cut (with "…") to at most `width` characters. */
export function clip(s: string, width: number): string {
  return s.length <= width ? s : fit(s, width)
}

/**
 * `s` broken into lines of at most `width` characters, the first prefixed by `first` and the
 * rest by `rest` (so a long value continues under itself instead of being cut).
 */
export function wrap(s: string, width: number, first = '', rest = first): string[] {
  const out: string[] = []
  let left = s
  let prefix = first
  // at least 8 characters of value per line, so a very narrow terminal still makes progress
  while (out.length === 0 || left.length > 0) {
    const room = Math.max(8, width - prefix.length)
    out.push(prefix + left.slice(0, room))
    left = left.slice(room)
    prefix = rest
  }
  return out
}

/** Epoch ms → "2024-01-31 13:05:09 (in 5m 02s)" or "… (3h 10m ago)", relative to `now` (the chain's time where a status depends on it). */
export function formatWhen(ms: number, now: number): string {
  return `${formatLocalTime(ms)} (${ms > now ? `in ${formatAge(ms - now)}` : `${formatAge(now - ms)} ago`})`
}
