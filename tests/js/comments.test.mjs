// Comment threads written and read by stock Yjs clients with nothing but the shape the README
// documents: the server reads their relative positions (the Markdown export puts each thread's
// footnote at its text), and another client resolves them where the text is now.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import { startServer, client, waitFor, synced } from './harness.mjs'

let server
before(async () => { server = await startServer() })
after(async () => {
  assert.equal(await server.stop(), 0)
  server.cleanup()
})

/** A thread on text[from, to), as the README describes it. */
function comment (c, id, from, to, text) {
  c.doc.transact(() => {
    const thread = new Y.Map()
    c.doc.getMap('comments').set(id, thread)
    thread.set('start', Y.encodeRelativePosition(Y.createRelativePositionFromTypeIndex(c.text, from, 0)))
    thread.set('end', Y.encodeRelativePosition(Y.createRelativePositionFromTypeIndex(c.text, to, -1)))
    thread.set('quote', c.text.toString().slice(from, to))
    thread.set('resolved', false)
    const replies = new Y.Array()
    thread.set('replies', replies)
    replies.push([{ id: `${id}-1`, text, name: 'Script', color: '#2f6fdb', time: 1700000000000 }])
  })
}

/** Where a thread's text is now, or null once it is gone. */
function rangeOf (c, id) {
  const thread = c.doc.getMap('comments').get(id)
  const at = key => Y.createAbsolutePositionFromRelativePosition(Y.decodeRelativePosition(thread.get(key)), c.doc)?.index
  const from = at('start')
  const to = at('end')
  return from < to ? [from, to] : null
}

test('a thread from a stock client is anchored for the server and for other clients', async () => {
  const a = client(server, 'js-comments')
  const b = client(server, 'js-comments')
  await Promise.all([synced(a), synced(b)])
  a.text.insert(0, 'Decide the venue today.')
  comment(a, 'c-venue', 11, 16, 'Which one?')
  await waitFor('b has the thread', b, () => b.doc.getMap('comments').has('c-venue') && b.text.length > 0)
  b.text.insert(0, 'Agenda: ')
  b.text.insert(b.text.length, ' Then lunch.')
  await waitFor('a has the edits', a, () => a.text.toString() === 'Agenda: Decide the venue today. Then lunch.')
  assert.deepEqual(rangeOf(a, 'c-venue'), [19, 24])

  let md = ''
  const deadline = Date.now() + 15000
  while (!md.includes('venue[^comment-1]') && Date.now() < deadline) {
    md = await (await fetch(`${server.url}/p/js-comments/export/markdown?comments=1`)).text()
    if (!md.includes('venue[^comment-1]')) await new Promise(resolve => setTimeout(resolve, 100)) // poll interval
  }
  assert.ok(md.startsWith('Agenda: Decide the venue[^comment-1] today. Then lunch.\n'), md)
  assert.match(md, /\[\^comment-1\]: On “venue”:/)

  // Its text deleted, the thread is orphaned: for the clients and in the export.
  a.text.delete(19, 5)
  await waitFor('b sees the deletion', b, () => b.text.toString() === 'Agenda: Decide the  today. Then lunch.')
  assert.equal(rangeOf(b, 'c-venue'), null)
  a.destroy(); b.destroy()
})
