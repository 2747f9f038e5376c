/** Small pieces the views share: label/value lines, the "not available" wording for optional RPC parts. */
import type { Part } from '../queries.js'
import { fit } from '../format.js'
import type { Line } from './scroller.js'

/** "Label          value" with the label column `w` wide. */
export function field(label: string, value: string, w = 16, extra: Partial<Line> = {}): Line {
  return { text: `${label.padEnd(w)}${value}`, ...extra }
}

export function heading(text: string): Line {
  return { text, bold: true, color: 'cyan' }
}

/** The text for a Part that did not come: the node lacks the method, or it failed. */
export function partProblem(p: Part<unknown>, what: string): string | undefined {
  if (p.ok) return undefined
  return p.missing ? `${what}: not available on this node` : `${what}: ${p.error}`
}

/** Placeholder lines while a view's first answer is on its way, or after it failed. */
export function statusLines(loading: boolean, error: string | undefined, what: string): Line[] {
  if (error !== undefined) return [{ text: `${what}: ${error}`, color: 'red' }]
  return [{ text: loading ? `loading ${what}…` : `no ${what}`, dim: true }]
}

/** A table row: each cell fitted to its width (right-aligned when asked), one space between cells. */
export function cells(...cs: [text: string, width: number, align?: 'left' | 'right'][]): string {
  return cs
    .map(([text, width, align]) => fit(text, width, align))
    .join(' ')
    .trimEnd()
}

/** The line under a paged list: which page, and the keys that move (n older / further, p back). */
export function pageLine(page: number, hasNext: boolean, loading: boolean, what = 'page'): Line {
  const keys = [page > 1 ? 'p back' : '', hasNext ? 'n next' : ''].filter(Boolean).join(', ')
  return { text: `${what} ${page}${keys ? ` (${keys})` : ''}${loading ? '  loading…' : ''}`, dim: !loading, color: loading ? 'yellow' : undefined }
}
