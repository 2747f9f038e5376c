// Memory strategy: no allocator (runtime stub, nothing here allocates). Everything static lives
// in memory.data regions; all call data lives in one "arena" starting at ARENA_BASE whose layout
// the host computes per call. The host asks `ensureArena(bytes)` before writing; memory only ever
// grows (pages are kept and reused by later calls), so a 32 MiB Merkle input costs one grow.

export const ARENA_BASE: usize = (__heap_base + 63) & ~(<usize>63)

export function arenaBase(): usize {
  return ARENA_BASE
}

/** Makes [ARENA_BASE, ARENA_BASE + bytes) addressable; false if the engine refuses to grow. */
export function ensureArena(bytes: usize): bool {
  const end = <u64>ARENA_BASE + <u64>bytes
  const have = <u64>memory.size() << 16
  if (end <= have) return true
  const pages = <i32>((end - have + 0xffff) >> 16)
  return memory.grow(pages) >= 0
}
