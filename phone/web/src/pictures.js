// Pictures: the client side of /starling/fetch/1.0.0 (phone/API.md,
// Pictures). The engine judges every chunk against its signed manifest and
// assembles the picture; this asks the group's peers, relays first, one
// stream per request, and keeps the chunks in IndexedDB.
import { check } from './engine.js'

// fetchRequest runs one fetch request with peer and returns the engine's
// last result ({got, held, chunks, complete, broken, records, deleted}).
async function fetchRequest ({ engine, net, peer, started, keep }) {
  const stream = await net.stream(peer, started.protocol)
  let r = started
  try {
    if (!stream.send(started.out)) await stream.onDrain({ signal: AbortSignal.timeout(30000) })
    await stream.close() // our side: the request is whole; the answer still comes
    let got = 0
    for await (const chunk of stream) {
      r = engine.fetchFeed(started.session, chunk.subarray())
      await keep(r)
      got += r.got ?? 0
      if (r.error) {
        const err = new Error(`picture from ${peer.slice(-8)}: ${r.error}`)
        err.code = r.code
        throw err
      }
      if (r.done) break
    }
    if (!r.done) throw new Error(`picture from ${peer.slice(-8)}: the stream ended before the answer did`)
    return { ...r, got }
  } catch (err) {
    stream.abort(err)
    throw err
  } finally {
    engine.fetchClose(started.session)
  }
}

// loadPicture gives the engine the chunks stored for manifest, fetches
// the missing ones from peers (in the order given, relays first) and
// returns the picture ({data, mime, width, height}). It throws with code
// 'not-held' (no peer asked holds them all), 'broken' (the picture's
// author broke it) or another engine code. log(line) records each step.
export async function loadPicture (args) {
  try {
    return await load(args)
  } catch (err) {
    // A broken picture's chunks are neither shown nor kept.
    if (err.code === 'broken') await args.store.deletePictureChunks(args.manifest).catch(() => {})
    throw err
  }
}

async function load ({ engine, net, store, manifest, group, peers, log }) {
  const keep = async (r) => {
    if ((r.records ?? []).length > 0) await store.putChunks(manifest, group, r.records)
    if ((r.deleted ?? []).length > 0) await store.deleteChunks(r.deleted)
  }
  const stored = await store.chunks(manifest)
  if (stored.length > 0) {
    const r = check(engine.takeChunks(manifest, stored.map((c) => c.raw)))
    await keep(r)
  }
  let asked = 0
  for (const peer of peers) {
    let started = check(engine.fetchStart(manifest))
    if (started.broken || started.complete) break
    if (!(await net.supports(peer, started.protocol))) continue
    asked++
    // One request asks at most 8 chunks: ask this peer again while it
    // gives some.
    for (let i = 0; i < 64 && started.session !== 0; i++) {
      let r
      try {
        r = await fetchRequest({ engine, net, peer, started, keep })
      } catch (err) {
        log(err.message)
        if (err.code === 'broken') throw err
        break
      }
      if (r.got === 0) break
      started = check(engine.fetchStart(manifest))
    }
  }
  const s = check(engine.fetchStart(manifest))
  if (s.session !== 0) engine.fetchClose(s.session)
  if (!s.complete && !s.broken) {
    const err = new Error(asked === 0
      ? 'No connected peer can send this picture now.'
      : `No connected peer holds this picture (${s.held} of ${s.chunks} parts found, ${asked} asked).`)
    err.code = 'not-held'
    throw err
  }
  return check(engine.picture(manifest))
}
