/** `nfc explorer` — being built (issue in progress); replaced by its owner. */
export async function explorerCommand(_argv: string[]): Promise<number> {
  process.stderr.write('nfc explorer: not built yet\n')
  return 2
}
