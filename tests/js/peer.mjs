// A scripted stock Yjs client for the Rust interop test:
//   node peer.mjs WS_BASE_URL PAD
// It connects, types "js ", waits until the pad holds "js rust", prints the text and exits 0.
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const [base, pad] = process.argv.slice(2)
const doc = new Y.Doc()
const provider = new WebsocketProvider(base, encodeURIComponent(pad), doc, { WebSocketPolyfill: WebSocket, disableBc: true })
const text = doc.getText('text')
const fail = setTimeout(() => { console.error(`peer timed out with ${JSON.stringify(text.toString())}`); process.exit(1) }, 15000)
provider.once('sync', () => {
  text.insert(0, 'js ')
  console.log('typed')
  const check = () => {
    if (text.toString() === 'js rust') {
      console.log(`text:${text.toString()}`)
      clearTimeout(fail)
      provider.destroy()
      process.exit(0)
    }
  }
  doc.on('update', check)
  check()
})
