/** `nfc keys` — being built (issue in progress); replaced by its owner. */
export async function keysCommand(_argv: string[]): Promise<number> {
  process.stderr.write('nfc keys: not built yet\n')
  return 2
}
