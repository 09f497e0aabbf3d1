// Catch-up: the client side of /starling/catchup/1.1.0 (phone/API.md). The
// engine runs the session (Negentropy over its own set, verification,
// group rules); this moves its frames over a libp2p stream.
import { check } from './engine.js'

async function write (stream, data) {
  if (data == null || data.length === 0) return
  if (!stream.send(data)) await stream.onDrain({ signal: AbortSignal.timeout(30000) })
}

// catchUp runs one session with peer for group. handle(r) is called with
// every engine result that may carry stored, deleted, changed or publish.
// It returns the session's result ({fetched, ignored, gone, pushed,
// rounds, complete}) or throws.
export async function catchUp ({ engine, net, peer, group, handle }) {
  const stream = await net.stream(peer, engine.catchupProtocol)
  let r
  try {
    r = check(engine.syncStart(group))
  } catch (err) {
    stream.abort(err)
    throw err
  }
  const session = r.session
  try {
    await write(stream, r.out)
    for await (const chunk of stream) {
      r = engine.syncFeed(session, chunk.subarray())
      if (r.error) {
        const err = new Error(`catch-up with ${peer.slice(-8)}: ${r.error}`)
        err.code = r.code
        throw err
      }
      await handle(r)
      await write(stream, r.out)
      if (r.done) break
    }
    if (!r.done) throw new Error(`catch-up with ${peer.slice(-8)}: the stream ended before the session did`)
    await stream.close().catch(() => {})
    return r.result
  } catch (err) {
    stream.abort(err)
    throw err
  } finally {
    engine.syncClose(session)
  }
}
