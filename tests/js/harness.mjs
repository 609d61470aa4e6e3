// Shared pieces of the interop tests: the real ypad binary on a loopback port with a fresh data
// directory, and stock Yjs clients (yjs + y-websocket's WebsocketProvider over `ws`).
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const YPAD_BIN = process.env.YPAD_BIN || join(root, 'target', 'debug', 'ypad')
export const WAIT_MS = 15000

/** Starts `ypad serve` on 127.0.0.1:0; resolves once it printed its URL. */
export async function startServer (dataDir = mkdtempSync(join(tmpdir(), 'ypad-js-'))) {
  const proc = spawn(YPAD_BIN, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'inherit']
  })
  const url = await new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error('ypad did not start in time')), WAIT_MS)
    proc.on('error', reject)
    proc.on('exit', code => reject(new Error(`ypad exited early with ${code}`)))
    proc.stdout.on('data', chunk => {
      out += chunk
      const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)\//)
      if (m) { clearTimeout(timer); resolve(m[1]) }
    })
  })
  return {
    url,
    wsUrl: url.replace('http://', 'ws://') + '/ws',
    dataDir,
    /** SIGTERM, and wait for the exit code. */
    async stop () {
      proc.removeAllListeners('exit')
      const exited = new Promise(resolve => proc.on('exit', code => resolve(code)))
      proc.kill('SIGTERM')
      return exited
    },
    cleanup () { rmSync(dataDir, { recursive: true, force: true }) }
  }
}

/** A stock Yjs client on `pad`. */
export function client (server, pad, { connect = true } = {}) {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(server.wsUrl, encodeURIComponent(pad), doc, {
    WebSocketPolyfill: WebSocket,
    connect,
    disableBc: true
  })
  const text = doc.getText('text')
  return { doc, provider, text, awareness: provider.awareness, destroy: () => { provider.destroy(); doc.destroy() } }
}

/** Resolves when `check()` holds, re-checking on every document or awareness change. */
export function waitFor (what, c, check) {
  return new Promise((resolve, reject) => {
    const done = () => {
      if (!check()) return
      clearTimeout(timer)
      c.doc.off('update', done)
      c.awareness.off('change', done)
      c.provider.off('sync', done)
      resolve()
    }
    const timer = setTimeout(() => {
      c.doc.off('update', done)
      c.awareness.off('change', done)
      c.provider.off('sync', done)
      reject(new Error(`timed out waiting for ${what}`))
    }, WAIT_MS)
    c.doc.on('update', done)
    c.awareness.on('change', done)
    c.provider.on('sync', done)
    done()
  })
}

export const synced = c => waitFor('sync', c, () => c.provider.synced)
