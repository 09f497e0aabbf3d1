// The phone page: a Starling peer in the browser. The Go engine (wasm)
// holds the key and judges and builds every message; this file wires it to
// the network (net.js, catchup.js), to IndexedDB (db.js) and to the
// interface (ui.js). phone/API.md is the engine's contract.

import { Net, peerOf } from './net.js'
import { loadEngine, check } from './engine.js'
import { catchUp } from './catchup.js'
import { loadPicture } from './pictures.js'
import { openStore } from './db.js'
import { UI } from './ui.js'
import { toHex } from './hex.js'
import { sha256 } from '@noble/hashes/sha2.js'

// resyncDelay is how long after an ignored message the page catches up;
// resyncEvery how often it catches up with every group's peers anyway.
const resyncDelay = 2000
const resyncEvery = 60000
// graftGap is how long after a peer joins a topic the page catches up
// with it a second time: three GossipSub heartbeats.
const graftGap = 3000
// expiryCheck is how often the page looks for groups that ended.
const expiryCheck = 60000
// Received records are written in one transaction per writeBatch records
// or writeDelay ms, whichever comes first.
const writeBatch = 200
const writeDelay = 50
// pictureLoads bounds the pictures fetched at once.
const pictureLoads = 2

class App {
  constructor () {
    this.engine = null
    this.store = null
    this.net = null
    this.ui = new UI(this)
    this.me = null
    this.server = null // node.json: the node that served the page
    this.groups = new Map() // id -> GroupInfo
    this.delivery = new Map() // own message id -> {state, peers}
    this.syncing = new Set() // "peer group" pairs with a session running
    this.synced = new Map() // "peer group" -> time of the last complete session
    this.received = [] // for tests: the last 1000 messages gossip delivered, {topic, id, data}
    // Counts and times (performance.now(), ms since the page opened) for
    // the figures: messages judged and stored, the first message shown.
    this.stats = { verified: 0, stored: 0, rejected: 0, ignored: 0, firstShownAt: 0, engineMS: 0, nameAskedAt: 0, nameGivenAt: 0, engineAt: 0 }
    this.resyncTimers = new Map() // group -> timer
    this.writes = [] // message records waiting for their transaction
    this.writeCount = 0
    this.writeTimer = null
    this.writing = Promise.resolve()
    this.acked = new Set() // alerts acknowledged in this page's life
    this.pictures = new Map() // manifest id -> the promise of its picture
    this.pictureLoads = 0 // pictures loading now
    this.pictureWaiters = [] // loads waiting for a slot
  }

  log (line) {
    console.log(`[starling] ${line}`)
  }

  async start () {
    // The engine first: fetching and compiling it is the longest part of
    // a first visit. The person types their name meanwhile.
    const engine = loadEngine()
    engine.catch(() => {})
    this.store = await openStore()
    const identity = await this.store.identity()
    let name = null
    if (identity == null) {
      this.stats.nameAskedAt = performance.now()
      name = this.ui.askName().then((n) => {
        this.stats.nameGivenAt = performance.now()
        return n
      })
    }
    this.server = await fetch('node.json', { cache: 'no-store' }).then(r => r.ok ? r.json() : null).catch(() => null)
    this.ui.server(this.server)

    this.net = new Net({ validate: (topic, data, from) => this.validate(topic, data, from), log: (l) => this.log(l) })
    await this.net.start()
    this.net.addEventListener('peers', () => { this.ui.status(); this.flushOutbox() })
    this.net.addEventListener('topic-peer', (e) => this.onTopicPeer(e.detail.topic, e.detail.peer))
    this.net.addEventListener('message', (e) => {
      this.received.push({ topic: e.detail.topic, id: toHex(sha256(e.detail.data)), data: e.detail.data })
      if (this.received.length > 1000) this.received.shift()
    })
    document.addEventListener('visibilitychange', () => { if (!document.hidden) this.net.redialNow() })
    globalThis.addEventListener('online', () => this.net.redialNow())
    // Connect to the node that served the page at once: the engine loads
    // and the person types a name meanwhile.
    this.keepServer()

    try {
      this.engine = await engine
    } catch (err) {
      this.ui.fatal(`This page's engine did not load (${err.message}). Reload the page; if it keeps failing, the node that served it is missing its starling.wasm.`)
      return
    }
    this.stats.engineAt = performance.now()
    this.catchupProtocol = this.engine.catchupProtocol
    for (const d of await this.store.deliveries()) this.delivery.set(d.id, d)

    if (identity == null) {
      const r = check(this.engine.createIdentity(await name))
      await this.store.putIdentity(r.identity)
      this.me = r.me
    } else {
      const r = check(this.engine.restore({
        identity,
        groups: await this.store.groups(),
        messages: await this.store.allMessages()
      }))
      this.me = r.me
      if (r.skipped > 0) this.log(`restore skipped ${r.skipped} stored messages`)
    }
    this.ui.me(this.me)
    for (const g of check(this.engine.groups())) this.groups.set(g.id, g)
    setInterval(() => this.dropExpired(), expiryCheck)

    for (const r of await this.store.relays()) this.net.keep([r.addr])
    await this.dropExpired()
    for (const g of this.groups.values()) this.openGroup(g)

    // Catch up with every group's peers now and then, as the daemon does:
    // what gossip dropped or the page ignored comes this way.
    setInterval(() => { for (const id of this.groups.keys()) this.resync(id) }, resyncEvery)

    await this.joinFromLocation()
    globalThis.addEventListener('hashchange', () => this.joinFromLocation())
    this.ui.groups()
    this.flushOutbox()
  }

  // keepServer dials the node that served the page, at the address the
  // page came from when it listed that one.
  keepServer () {
    if (this.server == null) return
    const addrs = (this.server.addrs ?? []).map(a => a.includes('/p2p/') ? a : `${a}/p2p/${this.server.peerId}`)
    const host = location.hostname
    addrs.sort((a, b) => (b.includes(`/${host}/`) ? 1 : 0) - (a.includes(`/${host}/`) ? 1 : 0))
    this.net.keep(addrs)
  }

  // joinFromLocation joins the invite in the page's fragment, once.
  async joinFromLocation () {
    const hash = decodeURIComponent(location.hash.slice(1))
    if (!hash.startsWith('starling://')) return
    try {
      await this.join(hash)
      history.replaceState(null, '', location.pathname + location.search)
    } catch (err) {
      this.ui.notice(`The link in this page's address did not work: ${err.message}`)
    }
  }

  async join (link) {
    const inv = check(this.engine.parseInvite(link))
    if (this.groups.has(inv.group)) {
      this.ui.select(inv.group)
      return
    }
    await this.joined(check(this.engine.join(link)))
  }

  async joinChannel (name) {
    await this.joined(check(this.engine.joinChannel(name)))
  }

  // joined saves, subscribes to and shows a group just joined.
  async joined (r) {
    await this.store.putGroup(r.record)
    this.groups.set(r.group.id, r.group)
    this.openGroup(r.group)
    this.ui.groups()
    this.ui.select(r.group.id)
    await this.handle(r)
  }

  async leave (id) {
    const g = this.groups.get(id)
    if (g == null) return
    check(this.engine.leave(id))
    if (g.topic) this.net.unsubscribe(g.topic)
    this.groups.delete(id)
    await this.store.deleteGroup(id)
    this.ui.groups()
  }

  // openGroup subscribes to the group's topic and keeps its relays.
  openGroup (g) {
    if (g.topic) this.net.subscribe(g.topic)
    this.net.keep(g.relays ?? [])
    for (const p of this.net.topicPeers(g.topic)) this.sync(p, g.id)
  }

  // inviteURL is this page's address with an invite to g in its
  // fragment: what another phone opens. The link names the group's relays
  // and the node that served this page.
  inviteURL (g) {
    const relays = [...(g.relays ?? [])]
    for (const a of this.server?.addrs ?? []) {
      const full = a.includes('/p2p/') ? a : `${a}/p2p/${this.server.peerId}`
      if (!relays.includes(full)) relays.push(full)
    }
    const r = check(this.engine.invite(g.id, relays))
    return `${location.origin}${location.pathname}#${r.link}`
  }

  // dropExpired leaves the groups that ended more than an hour ago and
  // drops their records, as nodes delete an ended group's content.
  async dropExpired () {
    for (const id of [...this.groups.keys()]) {
      const info = this.engine.groupInfo(id)
      if (info.error || !info.expired) continue
      const name = info.name || id.slice(0, 8)
      await this.leave(id)
      this.ui.notice(`${name} has ended: its messages are deleted from this phone, as every node deletes them.`)
      if (this.ui.current === id) this.ui.select(this.groups.keys().next().value ?? '')
    }
  }

  async addRelay (addr) {
    addr = addr.trim()
    if (this.net.keep([addr]) === 0) {
      throw new Error('a browser can only dial a WebSocket address ending in /p2p/ID, such as /ip4/192.168.1.10/tcp/8080/ws/p2p/12D3KooW…')
    }
    await this.store.putRelay(addr)
  }

  groupByTopic (topic) {
    for (const g of this.groups.values()) if (g.topic === topic) return g
    return null
  }

  // validate is GossipSub's validator for every joined topic: the engine's
  // verdict, exactly what the daemon's validator answers.
  async validate (topic, data, from) {
    if (this.engine == null) return 'accept' // no engine: the page joins nothing but what a test asks
    const t0 = performance.now()
    const r = this.engine.receive(data, 'gossip', topic)
    this.stats.engineMS += performance.now() - t0
    this.stats.verified++
    if (r.error && !r.verdict) {
      this.log(`receive: ${r.error}`)
      return 'ignore'
    }
    if (r.verdict === 'reject') {
      this.stats.rejected++
      this.log(`rejected a message from ${from.slice(-8)}: ${r.error}`)
    } else if (r.verdict === 'ignore') {
      this.stats.ignored++
      this.log(`ignored a message from ${from.slice(-8)}: ${r.error}`)
      // What the engine ignores may need something the peers hold and
      // this page not yet (an operation, a key): catch up soon.
      const g = this.groupByTopic(topic)
      if (g != null && !r.duplicate) this.resyncSoon(g.id)
    }
    await this.handle(r)
    return r.verdict
  }

  // handle applies what an engine result asks: store and show, hide
  // deletions, save changed groups, publish. Records are written behind,
  // many to a transaction (see flushWrites); callers that need them on
  // disk before going on await flushWrites.
  async handle (r) {
    const stored = r.stored ?? []
    if (stored.length > 0) this.queueWrite({ put: stored.map(s => s.record) })
    if ((r.deleted ?? []).length > 0) this.queueWrite({ del: r.deleted })
    for (const id of r.changed ?? []) {
      const rec = this.engine.groupRecord(id)
      if (!rec.error) await this.store.putGroup(rec)
      const info = this.engine.groupInfo(id)
      if (!info.error) {
        const old = this.groups.get(id)
        this.groups.set(id, info)
        if (old?.topic !== info.topic) {
          if (old?.topic) this.net.unsubscribe(old.topic)
          this.openGroup(info)
        }
      }
    }
    for (const s of stored) {
      this.ui.add(s.view)
      if (s.view.kind === 'alert' && !s.view.own) this.ackAlert(s.view)
    }
    for (const id of r.deleted ?? []) {
      this.ui.remove(id)
      // A deleted picture's chunks go with it (no-op for other messages).
      this.store.deletePictureChunks(id).catch(() => {})
    }
    if ((r.changed ?? []).length > 0) {
      this.ui.groups()
      if (r.changed.some(id => this.groups.get(id)?.expired)) this.dropExpired()
    }
    for (const o of r.publish ?? []) await this.send(o)
  }

  queueWrite (op) {
    this.writes.push(op)
    this.writeCount += (op.put ?? []).length
    if (this.writeCount >= writeBatch) this.flushWrites()
    else if (this.writeTimer == null) this.writeTimer = setTimeout(() => this.flushWrites(), writeDelay)
  }

  // flushWrites writes the queued records in one transaction and resolves
  // once they are on disk (with those queued before).
  flushWrites () {
    clearTimeout(this.writeTimer)
    this.writeTimer = null
    const ops = this.writes
    const n = this.writeCount
    this.writes = []
    this.writeCount = 0
    const prev = this.writing
    this.writing = (async () => {
      await prev
      if (ops.length === 0) return
      try {
        await this.store.write(ops)
        this.stats.stored += n
      } catch (err) {
        this.log(`storing ${n} messages failed: ${err.message}`)
        this.ui.notice(`This phone could not store messages (${err.message}); they stay until the page closes, and catch-up brings them again.`)
      }
    })()
    return this.writing
  }

  // send publishes an outgoing envelope, or queues it in the outbox until
  // the topic has a peer.
  async send (o) {
    const v = this.engine.view(o.raw)
    const id = v.error ? toHex(sha256(o.raw)) : v.id
    try {
      const n = await this.net.publish(o.topic, o.raw)
      this.setDelivery(id, o.group, 'sent', n)
    } catch (err) {
      await this.store.putOutbox({ id, group: o.group, topic: o.topic, raw: o.raw, at: Date.now() })
      this.setDelivery(id, o.group, 'queued', 0)
      this.log(`queued ${id.slice(0, 8)}: ${err.message}`)
    }
    this.ui.status()
  }

  async flushOutbox () {
    if (this.flushing || this.store == null) return
    this.flushing = true
    try {
      for (const o of await this.store.outbox()) {
        if (!this.groups.has(o.group)) {
          await this.store.deleteOutbox(o.id)
          continue
        }
        if (this.net.topicPeers(o.topic).length === 0) continue
        try {
          const n = await this.net.publish(o.topic, o.raw)
          await this.store.deleteOutbox(o.id)
          this.setDelivery(o.id, o.group, 'sent', n)
        } catch (err) {
          this.log(`outbox ${o.id.slice(0, 8)}: ${err.message}`)
        }
      }
    } finally {
      this.flushing = false
      this.ui.status()
    }
  }

  setDelivery (id, group, state, peers) {
    const old = this.delivery.get(id)
    if (old?.state === 'held' && state !== 'held') return
    const d = { id, group, state, peers, at: old?.at ?? Date.now() }
    this.delivery.set(id, d)
    this.store.putDelivery(d)
    this.ui.delivery(id)
  }

  // post and act store the person's own messages before they go out.
  async post (group, text, replyTo) {
    const r = check(this.engine.post(group, text, replyTo ?? ''))
    await this.handleDurably(r)
  }

  async act (what, group, ...args) {
    const r = check(this.engine[what](group, ...args))
    await this.handleDurably(r)
  }

  async handleDurably (r) {
    const publish = r.publish
    await this.handle({ ...r, publish: [] })
    await this.flushWrites()
    for (const o of publish ?? []) {
      await this.send(o)
      // A catch-up session shortly after confirms that a node holds it.
      this.resyncSoon(o.group)
    }
  }

  onTopicPeer (topic, peer) {
    const g = this.groupByTopic(topic)
    if (g == null) return
    this.sync(peer, g.id)
    // Until the peer grafts this page into its mesh (a heartbeat or two),
    // it forwards what it receives only to others, and once grafted it
    // no longer gossips those messages to us: catch up again after that.
    setTimeout(() => this.sync(peer, g.id), graftGap)
    this.flushOutbox()
    this.ui.status()
  }

  // ackAlert tells up to four of the group's peers, the node that served
  // the page and the group's relays first, that this device showed an
  // organiser's alert, so that the alert's reach counts it (API.md).
  async ackAlert (v) {
    if (this.acked.has(v.id)) return
    this.acked.add(v.id)
    const r = this.engine.ackAlert(v.group, v.id)
    if (r.error) {
      this.log(`ack alert ${v.id.slice(0, 8)}: ${r.error}`)
      return
    }
    const peers = this.peersFirst(this.groups.get(v.group)).slice(0, 4)
    for (const p of peers) {
      try {
        const stream = await this.net.stream(p, r.protocol)
        if (!stream.send(r.out)) await stream.onDrain({ signal: AbortSignal.timeout(15000) })
        let status = -1
        for await (const chunk of stream) {
          const b = chunk.subarray()
          if (b.length > 0) {
            status = b[0]
            break
          }
        }
        await stream.close().catch(() => {})
        this.log(`ack alert ${v.id.slice(0, 8)} to ${p.slice(-8)}: ${status === 2 ? 'taken' : status === 3 ? 'refused' : `status ${status}`}`)
      } catch (err) {
        this.log(`ack alert ${v.id.slice(0, 8)} to ${p.slice(-8)}: ${err.message}`)
      }
    }
  }

  // peersFirst orders the group's connected peers: the node that served
  // the page and the group's relays first.
  peersFirst (g) {
    const first = new Set([this.server?.peerId, ...(g?.relays ?? []).map(peerOf)].filter(Boolean))
    return this.net.topicPeers(g?.topic ?? '').sort((a, b) => (first.has(b) ? 1 : 0) - (first.has(a) ? 1 : 0))
  }

  // picture returns the full picture of an image message ({data, mime,
  // width, height}): its stored chunks, then what the group's peers hold
  // (relays first). One load per picture at a time; a failed one may be
  // tried again.
  picture (v) {
    let p = this.pictures.get(v.id)
    if (p == null) {
      p = this.pictureSlot(() => loadPicture({
        engine: this.engine, net: this.net, store: this.store, manifest: v.id, group: v.group,
        peers: this.peersFirst(this.groups.get(v.group)), log: (line) => this.log(line)
      }))
      this.pictures.set(v.id, p)
      p.catch(() => this.pictures.delete(v.id))
      // Do not keep pictures' bytes for the page's life.
      p.then(() => setTimeout(() => this.pictures.delete(v.id), 1000), () => {})
    }
    return p
  }

  // pictureSlot runs f once fewer than pictureLoads pictures are loading.
  async pictureSlot (f) {
    while (this.pictureLoads >= pictureLoads) await new Promise((resolve) => this.pictureWaiters.push(resolve))
    this.pictureLoads++
    try {
      return await f()
    } finally {
      this.pictureLoads--
      this.pictureWaiters.shift()?.()
    }
  }

  // resyncSoon catches up with every topic peer of group in a few
  // seconds, once however often it is asked in between.
  resyncSoon (group) {
    if (this.resyncTimers.has(group)) return
    this.resyncTimers.set(group, setTimeout(() => {
      this.resyncTimers.delete(group)
      this.resync(group)
    }, resyncDelay))
  }

  resync (group) {
    const g = this.groups.get(group)
    if (g?.topic == null) return
    for (const p of this.net.topicPeers(g.topic)) this.sync(p, group)
  }

  // sync runs a catch-up session with peer for group unless one runs.
  async sync (peer, group) {
    if (this.engine == null) return
    const key = `${peer} ${group}`
    if (this.syncing.has(key)) return
    this.syncing.add(key)
    try {
      const started = Date.now()
      const result = await catchUp({ engine: this.engine, net: this.net, peer, group, handle: (r) => this.handle(r) })
      this.synced.set(key, Date.now())
      if (result?.complete) {
        // The session reconciled both sets: the peer now holds every
        // message of ours in the group from before it began.
        for (const [id, d] of this.delivery) {
          if (d.group === group && d.state !== 'held' && d.at <= started) this.setDelivery(id, group, 'held', d.peers)
        }
      }
      this.log(`catch-up with ${peer.slice(-8)} for ${group.slice(0, 8)}: ${JSON.stringify(result)} in ${Date.now() - started} ms`)
    } catch (err) {
      this.log(`catch-up with ${peer.slice(-8)} for ${group.slice(0, 8)}: ${err.message}`)
    } finally {
      this.syncing.delete(key)
    }
  }

  // history returns a group's views, oldest first.
  async history (group) {
    const out = []
    for (const rec of await this.store.history(group)) {
      const v = this.engine.view(rec.raw)
      if (!v.error) out.push(v)
    }
    return out
  }
}

const app = new App()
globalThis.__phone = app
app.start().catch((err) => {
  console.error(err)
  app.ui.fatal(`The page failed to start: ${err.message}`)
})

