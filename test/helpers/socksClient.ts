/**
 * A minimal SOCKS5 client for the traffic-agent tests: no-auth greeting, one CONNECT, then the
 * raw socket. Counts every byte it wrote and read (handshake included), which is what the agents
 * must count as the stream's payload.
 */
import { connect, type Socket } from 'node:net'

export interface SocksConn {
  socket: Socket
  /** the reply code of the CONNECT (0 = succeeded) */
  reply: number
  /** writes `data` on the stream (counted) */
  write(data: Uint8Array): void
  /** everything the target sends, until it ends (call once, right after the handshake) */
  readAll(): Promise<Buffer>
  /** bytes written / read on the socket so far, handshake included */
  written(): number
  read(): number
}

/**
 * Connects through the SOCKS5 endpoint at `port` to `host:targetPort` (a domain name or IPv4).
 * `allowHalfOpen`: the socket stays writable after the other side ended (readAll resolved).
 */
export function socksConnect(port: number, host: string, targetPort: number, opts: { allowHalfOpen?: boolean } = {}): Promise<SocksConn> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: opts.allowHalfOpen === true })
    let wrote = 0
    let got = 0
    let buf = Buffer.alloc(0)
    let stage: 'method' | 'reply' | 'done' = 'method'
    const write = (b: Uint8Array) => {
      wrote += b.length
      socket.write(b)
    }
    socket.on('error', reject)
    socket.on('connect', () => {
      write(Uint8Array.of(5, 1, 0))
      const name = Buffer.from(host, 'latin1')
      const v4 = /^\d+\.\d+\.\d+\.\d+$/.test(host)
      const addr = v4 ? Uint8Array.of(1, ...host.split('.').map(Number)) : Uint8Array.of(3, name.length, ...name)
      write(Uint8Array.of(5, 1, 0, ...addr, targetPort >> 8, targetPort & 0xff))
    })
    const onData = (chunk: Buffer) => {
      got += chunk.length
      buf = Buffer.concat([buf, chunk])
      if (stage === 'method' && buf.length >= 2) {
        if (buf[1] !== 0) return reject(new Error(`method ${buf[1]} refused`))
        buf = buf.subarray(2)
        stage = 'reply'
      }
      if (stage === 'reply' && buf.length >= 10) {
        stage = 'done'
        socket.off('data', onData)
        // bytes after the reply were read with it: they start what readAll returns
        const parts: Buffer[] = [buf.subarray(10)]
        socket.on('data', (c: Buffer) => {
          got += c.length
          parts.push(c)
        })
        const all = new Promise<Buffer>((res, rej) => {
          socket.on('end', () => res(Buffer.concat(parts)))
          socket.on('error', rej)
        })
        all.catch(() => {})
        resolve({ socket, reply: buf[1]!, write, readAll: () => all, written: () => wrote, read: () => got })
      }
    }
    socket.on('data', onData)
    socket.on('end', () => {
      if (stage !== 'done') reject(new Error(`the proxy ended the connection during the handshake (after ${got} bytes: ${buf.toString('hex')})`))
    })
  })
}
