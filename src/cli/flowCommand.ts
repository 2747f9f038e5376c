/** `nfc flow` — being built (issue in progress); replaced by its owner. */
export async function flowCommand(_argv: string[]): Promise<number> {
  process.stderr.write('nfc flow: not built yet\n')
  return 2
}
