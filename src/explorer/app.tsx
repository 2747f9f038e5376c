/**
 * The explorer's shell: tabs, a navigation stack of detail screens over the current tab, the
 * search prompt, help, and the status line (connection state, head). It owns the global keys;
 * the view on top owns the rest. Sized to the terminal (one line short of its height, so Ink
 * updates lines in place instead of clearing the screen).
 */
import { useEffect, useMemo, useRef, useState } from 'react'
import { Box, Text, useApp } from 'ink'
import { useKeys } from './useKeys.js'
import { createRpcClient, type ConnectionState, type RpcClient } from './rpcClient.js'
import { createDecoder, type NamedAbi } from './decode.js'
import { createChainCache } from './chainCache.js'
import { ExplorerContext, type Explorer, type Screen } from './context.js'
import { resolveSearch } from './queries.js'
import { useTerminalSize } from './useTerminalSize.js'
import { oneLine } from './useLoader.js'
import { thousands } from './format.js'
import { DashboardView } from './views/dashboard.js'
import { BlocksView } from './views/blocks.js'
import { BlockDetailView } from './views/blockDetail.js'
import { TxDetailView } from './views/txDetail.js'
import { LogsView } from './views/logs.js'
import { AccountView } from './views/account.js'
import { WitnessesView } from './views/witnesses.js'
import { FlowView } from './views/flow.js'
import { NameView } from './views/name.js'
import { NamesView } from './views/names.js'
import { GovernanceView } from './views/governance.js'
import { ProposalView } from './views/proposal.js'
import { StorageView } from './views/storage.js'
import { DealView } from './views/deal.js'
import { ChannelsView } from './views/channels.js'
import { ChannelView } from './views/channel.js'
import { HelpView } from './views/help.js'

/** requests in flight this long (ms) show "loading…" on the status line (quicker ones would only flicker) */
export const LOADING_SHOWN_AFTER_MS = 250

export const TABS = ['Dashboard', 'Blocks', 'Witnesses', 'Flow', 'Account', 'Gov', 'Storage', 'Channels', 'Names'] as const
export type Tab = (typeof TABS)[number]

export interface AppProps {
  /** JSON-RPC HTTP URL; the WebSocket is the same host and port */
  rpc: string
  abis?: NamedAbi[]
  /** start on this tab */
  tab?: Tab
  /** start with these screens open (tests, and `nfc explorer` could take a search argument) */
  screens?: Screen[]
  /** client options (tests shorten the back-off) */
  client?: RpcClient
}

export function App({ rpc, abis = [], tab: initialTab = 'Dashboard', screens = [], client: given }: AppProps) {
  const { exit } = useApp()
  const { columns, rows } = useTerminalSize()
  const client = useMemo(() => given ?? createRpcClient(rpc), [given, rpc])
  const chain = useMemo(() => createChainCache(client), [client])
  const decoder = useMemo(() => createDecoder(abis), [abis])
  const [conn, setConn] = useState<ConnectionState>(client.state())
  const [head, setHead] = useState<bigint | undefined>(undefined)
  const [now, setNow] = useState(() => Date.now())
  const [tab, setTab] = useState<Tab>(initialTab)
  const [stack, setStack] = useState<Screen[]>(screens)
  // the account the Account tab shows (the last one opened)
  const [account, setAccount] = useState<string | undefined>(undefined)
  const [search, setSearch] = useState<string | null>(null)
  const searchText = useRef<string | null>(null)
  const [message, setMessage] = useState<string | undefined>(undefined)
  const [help, setHelp] = useState(false)
  const busy = useBusy(client)

  useEffect(() => {
    const offHeader = client.onHeader((h) => chain.offerHeader(h))
    const offHead = client.onHead(setHead)
    const offState = client.onState(setConn)
    setConn(client.state())
    return () => {
      offHeader()
      offHead()
      offState()
      if (given === undefined) client.close()
    }
  }, [client, chain, given])
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(timer)
  }, [])

  const open = (s: Screen) => {
    setMessage(undefined)
    if (s.kind === 'account') setAccount(s.address)
    setStack((st) => [...st, s])
  }
  const back = () => setStack((st) => st.slice(0, -1))

  const runSearch = (text: string) => {
    if (text.trim() === '') return
    setMessage(`searching ${text.trim()}…`)
    resolveSearch(client, text).then(
      (target) => {
        if (target.kind === 'none') setMessage(target.why)
        else if (target.kind === 'block') open({ kind: 'block', ref: target.ref })
        else if (target.kind === 'tx') open({ kind: 'tx', hash: target.hash })
        else if (target.kind === 'name') open({ kind: 'name', name: target.name })
        else open({ kind: 'account', address: target.address })
      },
      (e: unknown) => setMessage(`search failed: ${oneLine(e)}`),
    )
  }

  useKeys((input, key) => {
    if (help) {
      setHelp(false)
      return
    }
    // the prompt's text lives in a ref too: keys typed faster than Ink re-renders must not be lost
    const typed = searchText.current
    if (typed !== null) {
      let next: string | null = typed
      if (key.escape) next = null
      else if (key.return) {
        next = null
        runSearch(typed)
      } else if (key.backspace || key.delete) next = typed.slice(0, -1)
      else if (!key.ctrl && !key.meta && input && !key.upArrow && !key.downArrow && !key.leftArrow && !key.rightArrow && !key.tab) {
        next = typed + input.replace(/[\r\n]/g, '')
      }
      searchText.current = next
      setSearch(next)
      return
    }
    if (input === 'q' || (key.ctrl && input === 'c')) exit()
    else if (input === '?') setHelp(true)
    else if (input === '/') {
      setMessage(undefined)
      searchText.current = ''
      setSearch('')
    } else if (key.escape || input === 'h' || key.leftArrow || key.backspace) {
      setMessage(undefined)
      back()
    } else if (/^[1-9]$/.test(input)) {
      setTab(TABS[Number(input) - 1]!)
      setStack([])
    } else if (key.tab) {
      setTab(TABS[(TABS.indexOf(tab) + (key.shift ? TABS.length - 1 : 1)) % TABS.length]!)
      setStack([])
    }
  })

  const x: Explorer = { client, chain, decoder, head, now, columns, open, back }
  // tabs + status line above, the prompt/keys line below, and one spare row
  const height = Math.max(3, rows - 4)
  const active = !help && search === null
  const top = stack[stack.length - 1]
  let body
  if (help) body = <HelpView height={height} />
  else if (top?.kind === 'block') body = <BlockDetailView key={`b${stack.length}${top.ref}`} blockRef={top.ref} height={height} active={active} />
  else if (top?.kind === 'tx') body = <TxDetailView key={`t${stack.length}${top.hash}`} hash={top.hash} height={height} active={active} />
  else if (top?.kind === 'logs') body = <LogsView key={`l${stack.length}${top.hash}`} hash={top.hash} height={height} active={active} />
  else if (top?.kind === 'name') body = <NameView key={`n${stack.length}${top.name}`} name={top.name} height={height} active={active} />
  else if (top?.kind === 'names') body = <NamesView key={`ns${stack.length}${top.owner}`} owner={top.owner} height={height} active={active} />
  else if (top?.kind === 'proposal') body = <ProposalView key={`p${stack.length}${top.id}`} id={top.id} height={height} active={active} />
  else if (top?.kind === 'deal') body = <DealView key={`d${stack.length}${top.id}`} id={top.id} height={height} active={active} />
  else if (top?.kind === 'deals')
    body = (
      <StorageView
        key={`ds${stack.length}${top.client ?? ''}${top.provider ?? ''}`}
        filter={{ client: top.client, provider: top.provider }}
        height={height}
        active={active}
      />
    )
  else if (top?.kind === 'channel') body = <ChannelView key={`c${stack.length}${top.id}`} id={top.id} height={height} active={active} />
  else if (top?.kind === 'channels') body = <ChannelsView key={`cs${stack.length}${top.address}`} address={top.address} height={height} active={active} />
  else if (top?.kind === 'account') body = <AccountView key={`a${stack.length}${top.address}`} address={top.address} height={height} active={active} />
  else if (tab === 'Dashboard') body = <DashboardView height={height} active={active} />
  else if (tab === 'Blocks') body = <BlocksView height={height} active={active} />
  else if (tab === 'Witnesses') body = <WitnessesView height={height} active={active} />
  else if (tab === 'Flow') body = <FlowView height={height} active={active} />
  else if (tab === 'Gov') body = <GovernanceView height={height} active={active} />
  else if (tab === 'Storage') body = <StorageView height={height} active={active} />
  else if (tab === 'Channels') body = <ChannelsView height={height} active={active} />
  else if (tab === 'Names') body = <NamesView height={height} active={active} />
  else body = <AccountView key={`tab${account ?? ''}`} address={account} height={height} active={active} />

  const crumbs = stack.map((s) => s.kind).join(' › ')
  return (
    <ExplorerContext.Provider value={x}>
      <Box flexDirection="column" width={columns}>
        <Box>
          <Text wrap="truncate">
            <Text bold color="cyan">
              NFC{' '}
            </Text>
            {TABS.map((t, i) => (
              <Text key={t} inverse={t === tab} bold={t === tab}>{` ${i + 1} ${tabLabel(t, columns, crumbs === '' ? 0 : crumbs.length + 3)} `}</Text>
            ))}
            {crumbs === '' ? '' : <Text dimColor>{` › ${crumbs}`}</Text>}
          </Text>
        </Box>
        <StatusLine conn={conn} head={head} url={client.url} mode={client.mode()} busy={busy} />
        {body}
        <Text wrap="truncate">
          {search !== null ? (
            <Text>
              <Text color="cyan">search: </Text>
              {search}
              <Text inverse> </Text>
              <Text dimColor> (Enter to go, Esc to cancel)</Text>
            </Text>
          ) : message !== undefined ? (
            <Text color="yellow">{message}</Text>
          ) : (
            <Text dimColor>{stack.length > 0 ? 'Esc back  ' : ''}Enter open / search 1-9 tabs ? help q quit</Text>
          )}
        </Text>
      </Box>
    </ExplorerContext.Provider>
  )
}

/** the width of the tab line with whole names: "NFC " and " n Name " per tab */
const FULL_TABS_WIDTH = 4 + TABS.reduce((w, t) => w + t.length + 4, 0)

/**
 * A tab's name, cut to 3 letters when the whole names and `extra` columns after them (the
 * breadcrumbs " › a › b") do not fit the terminal; all tabs alike, the active one too.
 */
export function tabLabel(t: Tab, columns: number, extra = 0): string {
  return columns < FULL_TABS_WIDTH + extra ? t.slice(0, 3) : t
}

/** Whether `client` has had a request in flight for LOADING_SHOWN_AFTER_MS or more (and still has). */
function useBusy(client: RpcClient): boolean {
  const [busy, setBusy] = useState(false)
  useEffect(() => {
    let timer: NodeJS.Timeout | undefined
    const off = client.onActivity((n) => {
      if (n > 0 && timer === undefined) timer = setTimeout(() => setBusy(true), LOADING_SHOWN_AFTER_MS)
      else if (n === 0) {
        clearTimeout(timer)
        timer = undefined
        setBusy(false)
      }
    })
    return () => {
      off()
      clearTimeout(timer)
    }
  }, [client])
  return busy
}

function StatusLine({ conn, head, url, mode, busy }: { conn: ConnectionState; head?: bigint; url: string; mode: 'ws' | 'poll'; busy: boolean }) {
  const label = conn === 'connected' ? '● connected' : conn === 'connecting' ? '○ connecting' : '○ reconnecting'
  return (
    <Text wrap="truncate">
      <Text color={conn === 'connected' ? 'green' : 'yellow'}>{label}</Text>
      <Text>{`  ${url}`}</Text>
      {head === undefined ? '' : <Text>{`  head #${thousands(head)}`}</Text>}
      {conn === 'connected' ? <Text dimColor>{mode === 'ws' ? '  live' : '  polling'}</Text> : ''}
      {busy ? <Text color="yellow">{'  ⧗ loading…'}</Text> : ''}
    </Text>
  )
}
