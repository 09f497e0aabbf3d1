// The phone's network: js-libp2p over WebSockets to relays and laptop
// nodes (browsers cannot accept connections, so phones reach each other
// through them), GossipSub configured exactly like Starling's
// (gossip/gossip.go, gossip/score.go) and the streams catch-up runs on.
// It judges nothing itself: every message goes to the validator the page
// gives it, which asks the Go engine.

import { createLibp2p } from 'libp2p'
import { webSockets } from '@libp2p/websockets'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { gossipsub, StrictNoSign } from '@libp2p/gossipsub'
import { multiaddr } from '@multiformats/multiaddr'
import { sha256 } from '@noble/hashes/sha2.js'

// The topic names Starling's nodes accept (group.TopicPattern).
export const topicPattern = /^\/starling\/1\/g\/[0-9a-f]{64}$/

// Starling's GossipSub settings, as gossip.Settings and gossip/score.go
// give them to go-libp2p-pubsub.
const seenTTL = 10 * 60 * 1000 // gossip.DefaultSeenTTL
const maxTopics = 512 // gossip.DefaultMaxTopics

// decay is pubsub.ScoreParameterDecay: the factor that takes a counter to
// 1 % of its value over ms, at one decay per second.
function decay (ms) {
  return Math.pow(0.01, 1 / (ms / 1000))
}

function scoreParams () {
  return {
    topics: {}, // filled per topic by subscribe, as gossip.Join does
    topicScoreCap: 50,
    appSpecificScore: () => 0,
    appSpecificWeight: 1,
    IPColocationFactorWeight: -1,
    IPColocationFactorThreshold: 16,
    behaviourPenaltyWeight: -1,
    behaviourPenaltyThreshold: 10,
    behaviourPenaltyDecay: decay(10 * 60 * 1000),
    decayInterval: 1000,
    decayToZero: 0.01,
    retainScore: 30 * 60 * 1000
  }
}

const scoreThresholds = {
  gossipThreshold: -500,
  publishThreshold: -1000,
  graylistThreshold: -2500,
  acceptPXThreshold: 100,
  opportunisticGraftThreshold: 3
}

// topicScoreParams is gossip.TopicScoreParams.
function topicScoreParams () {
  return {
    topicWeight: 1,
    timeInMeshWeight: 0.01,
    timeInMeshQuantum: 1000,
    timeInMeshCap: 600,
    firstMessageDeliveriesWeight: 1,
    firstMessageDeliveriesDecay: decay(10 * 60 * 1000),
    firstMessageDeliveriesCap: 20,
    meshMessageDeliveriesWeight: 0,
    meshMessageDeliveriesDecay: 0,
    meshMessageDeliveriesCap: 0,
    meshMessageDeliveriesThreshold: 0,
    meshMessageDeliveriesWindow: 0,
    meshMessageDeliveriesActivation: 0,
    meshFailurePenaltyWeight: 0,
    meshFailurePenaltyDecay: 0,
    invalidMessageDeliveriesWeight: -100,
    invalidMessageDeliveriesDecay: decay(60 * 60 * 1000)
  }
}

// messageID is Starling's GossipSub message ID (gossip's pubsubID): the
// SHA-256 of the envelope, so that a copy with a flipped signature bit
// cannot take the genuine message's ID.
export function messageID (msg) {
  return sha256(msg.data)
}

// peerOf returns the peer ID string a multiaddr ends with, or "".
export function peerOf (addr) {
  try {
    const p2p = multiaddr(addr).getComponents().filter(c => c.name === 'p2p')
    return p2p.length > 0 ? p2p[p2p.length - 1].value : ''
  } catch {
    return ''
  }
}

// dialable reports whether a browser can dial addr: WebSocket, with a peer ID.
export function dialable (addr) {
  try {
    const names = multiaddr(addr).getComponents().map(c => c.name)
    return (names.includes('ws') || names.includes('wss')) && !names.includes('p2p-circuit') && peerOf(addr) !== ''
  } catch {
    return false
  }
}

// Net is one libp2p node in the page. Events (on Net, an EventTarget):
// 'peers' when connections change, 'topic-peer' ({detail: {topic, peer}})
// when a peer subscribes to one of our topics, 'message' ({detail: {topic,
// data, from}}) for each message the validator accepted.
export class Net extends EventTarget {
  // validate(topic, data, from) returns 'accept', 'ignore' or 'reject'
  // (or a promise of one): the engine's verdict.
  constructor ({ validate, log }) {
    super()
    this.validate = validate
    this.log = log ?? (() => {})
    this.allowed = new Set() // peer IDs the page may dial
    this.addrs = new Map() // peer ID -> multiaddrs to redial
    this.timers = new Map() // peer ID -> redial timer
    this.backoff = new Map() // peer ID -> next redial delay (ms)
    this.topics = new Set()
    this.node = null
    this.stopped = false
  }

  async start () {
    this.node = await createLibp2p({
      addresses: { listen: [] },
      transports: [webSockets()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      // Honest trust: the page dials only the relays and nodes its invite
      // names, the node that served it and those the person adds. Private
      // addresses are the point (the venue's LAN), and plain ws is what a
      // page from http://LAN-IP has.
      connectionGater: {
        denyDialMultiaddr: () => false,
        denyDialPeer: (peerId) => !this.allowed.has(peerId.toString())
      },
      services: {
        identify: identify(),
        pubsub: gossipsub({
          globalSignaturePolicy: StrictNoSign,
          msgIdFn: messageID,
          floodPublish: true,
          allowPublishToZeroTopicPeers: false,
          emitSelf: false,
          doPX: false,
          seenTTL,
          scoreParams: scoreParams(),
          scoreThresholds,
          runOnLimitedConnection: true
        })
      }
    })
    const ps = this.node.services.pubsub
    ps.addEventListener('message', (e) => {
      const msg = e.detail
      if (!this.topics.has(msg.topic)) return
      this.dispatchEvent(new CustomEvent('message', { detail: { topic: msg.topic, data: msg.data } }))
    })
    ps.addEventListener('subscription-change', (e) => {
      for (const s of e.detail.subscriptions) {
        if (s.subscribe && this.topics.has(s.topic)) {
          this.dispatchEvent(new CustomEvent('topic-peer', { detail: { topic: s.topic, peer: e.detail.peerId.toString() } }))
        }
      }
    })
    this.node.addEventListener('peer:connect', (e) => {
      const id = e.detail.toString()
      this.backoff.delete(id)
      this.log(`connected to ${id}`)
      this.dispatchEvent(new Event('peers'))
    })
    this.node.addEventListener('peer:disconnect', (e) => {
      const id = e.detail.toString()
      this.log(`disconnected from ${id}`)
      this.dispatchEvent(new Event('peers'))
      this.redialLater(id)
    })
  }

  get peerId () { return this.node?.peerId.toString() ?? '' }

  // keep dials addrs (multiaddrs ending in /p2p/ID) and keeps their peer
  // connected: redialled with backoff (1 s doubling to 30 s) while the page
  // is open. Addresses a browser cannot dial are skipped; it returns how
  // many were kept.
  keep (addrs) {
    let n = 0
    for (const a of addrs) {
      if (!dialable(a)) continue
      const id = peerOf(a)
      this.allowed.add(id)
      const list = this.addrs.get(id) ?? []
      if (!list.includes(a)) list.push(a)
      this.addrs.set(id, list)
      n++
      this.dial(id)
    }
    return n
  }

  async dial (id) {
    if (this.stopped || this.connected(id)) return
    const list = (this.addrs.get(id) ?? []).map(a => multiaddr(a))
    if (list.length === 0) return
    try {
      await this.node.dial(list, { signal: AbortSignal.timeout(15000) })
    } catch (err) {
      this.log(`dial ${id}: ${err.name}: ${err.message ?? err}${err.errors ? ' (' + err.errors.map(e => e.message).join('; ') + ')' : ''}`)
      this.redialLater(id)
    }
  }

  redialLater (id) {
    if (this.stopped || !this.addrs.has(id) || this.timers.has(id)) return
    const delay = this.backoff.get(id) ?? 1000
    this.backoff.set(id, Math.min(delay * 2, 30000))
    this.timers.set(id, setTimeout(() => {
      this.timers.delete(id)
      this.dial(id)
    }, delay))
  }

  // redialNow redials every kept peer that is not connected, at once (the
  // page came back to the foreground, the network changed).
  redialNow () {
    for (const id of this.addrs.keys()) {
      clearTimeout(this.timers.get(id))
      this.timers.delete(id)
      this.backoff.delete(id)
      this.dial(id)
    }
  }

  connected (id) {
    return this.node.getConnections().some(c => c.remotePeer.toString() === id && c.status === 'open')
  }

  // peers lists the connected peer IDs.
  peers () {
    return [...new Set(this.node.getConnections().map(c => c.remotePeer.toString()))]
  }

  // topicPeers lists the peers subscribed to topic.
  topicPeers (topic) {
    return this.node.services.pubsub.getSubscribers(topic).map(p => p.toString())
  }

  // meshPeers lists the peers in this node's GossipSub mesh for topic.
  meshPeers (topic) {
    return this.node.services.pubsub.getMeshPeers(topic).map(p => p.toString())
  }

  subscribe (topic) {
    if (!topicPattern.test(topic)) throw new Error(`topic ${topic} is not a Starling topic name`)
    if (this.topics.has(topic)) return
    if (this.topics.size >= maxTopics) throw new Error('too many groups joined; leave one first')
    const ps = this.node.services.pubsub
    // The validator first, so that nothing on the topic is accepted unjudged.
    ps.topicValidators.set(topic, async (from, msg) => {
      try {
        return await this.validate(topic, msg.data, from.toString())
      } catch (err) {
        this.log(`validate: ${err.message}`)
        return 'ignore'
      }
    })
    ps.score.params.topics[topic] = topicScoreParams()
    this.topics.add(topic)
    ps.subscribe(topic)
  }

  unsubscribe (topic) {
    const ps = this.node.services.pubsub
    ps.unsubscribe(topic)
    ps.topicValidators.delete(topic)
    delete ps.score.params.topics[topic]
    this.topics.delete(topic)
  }

  // publish sends data on topic and returns how many peers it went to; it
  // throws when the topic has no peer yet (keep it queued).
  async publish (topic, data) {
    const r = await this.node.services.pubsub.publish(topic, data)
    return r.recipients.length
  }

  // stream opens a stream with protocol to a connected peer.
  async stream (id, protocol) {
    const conn = this.node.getConnections().find(c => c.remotePeer.toString() === id && c.status === 'open')
    if (conn == null) throw new Error(`not connected to ${id}`)
    return conn.newStream(protocol, { signal: AbortSignal.timeout(15000) })
  }

  // supports reports whether a connected peer said (identify) that it
  // speaks protocol.
  async supports (id, protocol) {
    try {
      const p = await this.node.peerStore.get(this.node.getConnections().find(c => c.remotePeer.toString() === id).remotePeer)
      return p.protocols.includes(protocol)
    } catch {
      return false
    }
  }

  async stop () {
    this.stopped = true
    for (const t of this.timers.values()) clearTimeout(t)
    await this.node?.stop()
  }
}
