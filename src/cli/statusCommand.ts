/** `nfc status` — being built (issue in progress); replaced by its owner. */
export async function statusCommand(_argv: string[]): Promise<number> {
  process.stderr.write('nfc status: not built yet\n')
  return 2
}
