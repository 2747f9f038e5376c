/**
 * The benches' one JSON-RPC POST over node:http (a keep-alive agent given by the caller): the body
 * of a 200 answer as text; any other status rejects with the start of its body. Not fetch:
 * undici's fetch costs a client several times the CPU per request (docs/decisions.md, "The load
 * bench's wallets use node:http, not fetch"), and a bench's client shares the machine with the
 * node it measures.
 */
import http from 'node:http'

export function postText(agent: http.Agent, url: URL, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`))
          else resolve(text)
        })
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}
