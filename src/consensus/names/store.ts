/**
 * Name records (DESIGN §14): storage words of the Names account (0x…1007), so the state root
 * commits to every name. The Names system contract (src/execution/system/names.ts) writes them;
 * the RPC reads (nfc_resolveName, nfc_listNames) read them.
 *
 * A name (3–32 bytes, rules.ts) is keyed by its word: its bytes left-aligned in 32 bytes, zero
 * padded (names hold no zero byte, so the word gives the name back).
 *
 * Layout (slotOf(tag, …) words of the Names account):
 *   nm.owner ‖ word          the owner (0: free — never registered, or released)
 *   nm.node ‖ word           the node id (32 bytes, e.g. the P2P ed25519 key; 0 = none)
 *   nm.exp ‖ word            expiry, block time in ms (live while now < exp)
 *   nm.lock ‖ word           NFC wei locked by the record (held in the Names account's balance)
 *   nm.ep(.len) ‖ word       the endpoint, a string (Words.setString)
 *   nm.list                  the names that have a record (WordList of words), in registration
 *                            order; a release moves the last one into the freed place
 *
 * This file only reads and writes; the rules are in rules.ts and names.ts.
 */
import { Address, bigIntToBytes, bytesToBigInt, hexToBytes, setLengthLeft, setLengthRight } from '@ethereumjs/util'
import { SYSTEM_CONTRACTS } from '../../chain/systemAddresses.js'
import { fromAddr, slotOf, toAddr, WordList, Words, type Addr, type StateAccess } from '../dpos/store.js'

export const NAMES = new Address(hexToBytes(SYSTEM_CONTRACTS.names))

/** A name's record; `owner` null = no record (the other fields are then zero). */
export interface NameRecord {
  owner: Addr | null
  /** 32 bytes */
  nodeId: Uint8Array
  expiresAtMs: bigint
  lockWei: bigint
  endpoint: string
}

const utf8 = new TextEncoder()

/** The 32-byte key of a name (its bytes left-aligned; names are at most 32 bytes). */
export function nameKey(name: string): Uint8Array {
  const bytes = utf8.encode(name)
  if (bytes.length === 0 || bytes.length > 32) throw new RangeError(`a name key needs 1 to 32 bytes, got ${bytes.length}`)
  return setLengthRight(bytes, 32)
}

/** The name a key word stands for (its bytes up to the zero padding). */
export function nameOfWord(word: bigint): string {
  const bytes = setLengthLeft(bigIntToBytes(word), 32)
  let end = 32
  while (end > 0 && bytes[end - 1] === 0) end--
  return new TextDecoder().decode(bytes.subarray(0, end))
}

export class NamesStore {
  readonly words: Words

  constructor(readonly sm: StateAccess) {
    this.words = new Words(sm, NAMES)
  }

  /** the names with a record, in list order */
  list(): WordList {
    return new WordList(this.words, 'nm.list')
  }

  async get(name: string): Promise<NameRecord> {
    const k = nameKey(name)
    return {
      owner: toAddr(await this.words.get(slotOf('nm.owner', k))),
      nodeId: await this.words.getBytes32(slotOf('nm.node', k)),
      expiresAtMs: await this.words.get(slotOf('nm.exp', k)),
      lockWei: await this.words.get(slotOf('nm.lock', k)),
      endpoint: await this.words.getString('nm.ep', k),
    }
  }

  /** writes the given fields of a record; a record given an owner joins the list */
  async put(name: string, fields: Partial<NameRecord>): Promise<void> {
    const k = nameKey(name)
    if (fields.owner !== undefined) await this.words.set(slotOf('nm.owner', k), fromAddr(fields.owner))
    if (fields.nodeId !== undefined) await this.words.setBytes32(slotOf('nm.node', k), fields.nodeId)
    if (fields.expiresAtMs !== undefined) await this.words.set(slotOf('nm.exp', k), fields.expiresAtMs)
    if (fields.lockWei !== undefined) await this.words.set(slotOf('nm.lock', k), fields.lockWei)
    if (fields.endpoint !== undefined) await this.words.setString('nm.ep', k, fields.endpoint)
    if (fields.owner !== undefined && fields.owner !== null) await this.list().add(bytesToBigInt(k))
  }

  /** deletes the record (every word zero) and takes the name off the list */
  async clear(name: string): Promise<void> {
    await this.put(name, { owner: null, nodeId: new Uint8Array(32), expiresAtMs: 0n, lockWei: 0n, endpoint: '' })
    await this.list().remove(bytesToBigInt(nameKey(name)))
  }

  /** the names at list positions from … to − 1 */
  async names(from: bigint, to: bigint): Promise<string[]> {
    return (await this.list().slice(from, to)).map(nameOfWord)
  }
}
