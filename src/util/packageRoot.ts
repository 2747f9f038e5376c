import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The directory of the nearest package.json above `from` — the repository root, whether the code
 * runs from `src/…/*.ts` or from the compiled `dist/src/…/*.js`. Null when there is none.
 */
export function packageRoot(from: string = import.meta.url): string | null {
  let dir = dirname(fileURLToPath(from))
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir
    const up = dirname(dir)
    if (up === dir) return null
    dir = up
  }
}
