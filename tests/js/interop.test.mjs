// Stock Yjs clients co-edit through ypad exactly as through any y-websocket server.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, client, waitFor, synced } from './harness.mjs'

let server
before(async () => { server = await startServer() })
after(async () => {
  assert.equal(await server.stop(), 0, 'ypad exits 0 on SIGTERM')
  server.cleanup()
})

test('two stock clients converge', async () => {
  const a = client(server, 'js-two')
  const b = client(server, 'js-two')
  await Promise.all([synced(a), synced(b)])
  a.text.insert(0, 'hello')
  await waitFor('b sees hello', b, () => b.text.toString() === 'hello')
  b.text.insert(5, ' from b')
  await waitFor('a sees both', a, () => a.text.toString() === 'hello from b')
  a.destroy(); b.destroy()
})

test('awareness set by one client reaches the other, and leaves with it', async () => {
  const a = client(server, 'js-aware')
  const b = client(server, 'js-aware')
  await Promise.all([synced(a), synced(b)])
  a.awareness.setLocalStateField('user', { name: 'Moderator', color: '#ff0000', colorLight: '#ff000033' })
  const aId = a.doc.clientID
  await waitFor('b sees a', b, () => b.awareness.getStates().get(aId)?.user?.name === 'Moderator')
  a.destroy()
  await waitFor('b sees a leave', b, () => !b.awareness.getStates().has(aId))
  b.destroy()
})

test('an edit made offline merges on reconnect', async () => {
  const a = client(server, 'js-offline')
  const b = client(server, 'js-offline')
  await Promise.all([synced(a), synced(b)])
  a.text.insert(0, 'shared ')
  await waitFor('b sees shared', b, () => b.text.toString() === 'shared ')
  a.provider.disconnect()
  a.text.insert(7, 'offline-a')
  b.text.insert(0, 'online-b ')
  a.provider.connect()
  const expected = 'online-b shared offline-a'
  await waitFor('a merged', a, () => a.text.toString() === expected)
  await waitFor('b merged', b, () => b.text.toString() === expected)
  a.destroy(); b.destroy()
})

test('a pad survives a restart for stock clients', async () => {
  const a = client(server, 'js-restart')
  await synced(a)
  a.text.insert(0, 'kept across restarts')
  const b = client(server, 'js-restart')
  await waitFor('b has it', b, () => b.text.toString() === 'kept across restarts')
  a.destroy(); b.destroy()
  assert.equal(await server.stop(), 0)
  const dataDir = server.dataDir
  server = await startServer(dataDir)
  const c = client(server, 'js-restart')
  await waitFor('restored', c, () => c.provider.synced && c.text.toString() === 'kept across restarts')
  c.destroy()
})

test('pad names with spaces and unicode work', async () => {
  const a = client(server, 'Summit Ünïcode')
  const b = client(server, 'Summit Ünïcode')
  await Promise.all([synced(a), synced(b)])
  a.text.insert(0, '✓ 😀')
  await waitFor('b sees it', b, () => b.text.toString() === '✓ 😀')
  const res = await fetch(`${server.url}/api/v1/pads/${encodeURIComponent('Summit Ünïcode')}/text`)
  assert.equal(await res.text(), '✓ 😀')
  a.destroy(); b.destroy()
})
