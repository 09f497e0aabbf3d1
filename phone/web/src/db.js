// IndexedDB: the identity, the groups' records, the messages' records (as
// the engine gives them, phone/API.md), pictures' chunks (kept apart from
// the messages, as the engine wants), the outbox and the relays the
// person added. The engine is given them back on every load.
import { openDB } from 'idb'

const name = 'starling-phone'
const version = 2

export async function openStore () {
  const db = await openDB(name, version, {
    upgrade (db, oldVersion) {
      if (oldVersion < 1) {
        db.createObjectStore('meta') // 'identity' -> IdentityRecord
        db.createObjectStore('groups', { keyPath: 'id' })
        const m = db.createObjectStore('messages', { keyPath: 'id' })
        m.createIndex('group-sent', ['group', 'sentAt'])
        db.createObjectStore('outbox', { keyPath: 'id' }) // {id, group, topic, raw, at}
        db.createObjectStore('delivery', { keyPath: 'id' }) // {id, state, peers}
        db.createObjectStore('relays', { keyPath: 'addr' }) // {addr, added}
      }
      if (oldVersion < 2) {
        // {id, manifest, group, raw}: a chunk's MessageRecord fields with
        // the manifest that lists it.
        const c = db.createObjectStore('chunks', { keyPath: 'id' })
        c.createIndex('manifest', 'manifest')
        c.createIndex('group', 'group')
      }
    }
  })
  return new Store(db)
}

export class Store {
  constructor (db) { this.db = db }

  identity () { return this.db.get('meta', 'identity') }
  putIdentity (rec) { return this.db.put('meta', rec, 'identity') }
  meta (key) { return this.db.get('meta', key) }
  putMeta (key, value) { return this.db.put('meta', value, key) }

  groups () { return this.db.getAll('groups') }
  putGroup (rec) { return this.db.put('groups', rec) }
  async deleteGroup (id) {
    const tx = this.db.transaction(['groups', 'messages', 'outbox', 'chunks'], 'readwrite')
    await tx.objectStore('groups').delete(id)
    const idx = tx.objectStore('messages').index('group-sent')
    for (let c = await idx.openCursor(IDBKeyRange.bound([id, -Infinity], [id, Infinity])); c; c = await c.continue()) {
      await c.delete()
    }
    for (let c = await tx.objectStore('outbox').openCursor(); c; c = await c.continue()) {
      if (c.value.group === id) await c.delete()
    }
    for (let c = await tx.objectStore('chunks').index('group').openCursor(id); c; c = await c.continue()) {
      await c.delete()
    }
    await tx.done
  }

  // chunks returns the stored chunk records of a picture.
  chunks (manifest) { return this.db.getAllFromIndex('chunks', 'manifest', manifest) }
  async putChunks (manifest, group, recs) {
    const tx = this.db.transaction('chunks', 'readwrite')
    for (const r of recs) tx.store.put({ id: r.id, manifest, group, raw: r.raw })
    await tx.done
  }

  async deletePictureChunks (manifest) {
    const tx = this.db.transaction('chunks', 'readwrite')
    for (let c = await tx.store.index('manifest').openCursor(manifest); c; c = await c.continue()) {
      await c.delete()
    }
    await tx.done
  }

  async deleteChunks (ids) {
    const tx = this.db.transaction('chunks', 'readwrite')
    for (const id of ids) tx.store.delete(id)
    await tx.done
  }

  allMessages () { return this.db.getAll('messages') }
  // putMessages stores many records in one transaction.
  async putMessages (recs) {
    if (recs.length === 0) return
    const tx = this.db.transaction('messages', 'readwrite')
    for (const r of recs) tx.store.put(r)
    await tx.done
  }

  // write applies ops in order in one transaction: {put: [record]} or
  // {del: [id]}.
  async write (ops) {
    const tx = this.db.transaction('messages', 'readwrite')
    for (const op of ops) {
      for (const r of op.put ?? []) tx.store.put(r)
      for (const id of op.del ?? []) tx.store.delete(id)
    }
    await tx.done
  }

  async deleteMessages (ids) {
    if (ids.length === 0) return
    const tx = this.db.transaction('messages', 'readwrite')
    for (const id of ids) tx.store.delete(id)
    await tx.done
  }

  // history returns a group's message records, oldest first.
  history (group) {
    return this.db.getAllFromIndex('messages', 'group-sent', IDBKeyRange.bound([group, -Infinity], [group, Infinity]))
  }

  outbox () { return this.db.getAll('outbox') }
  putOutbox (rec) { return this.db.put('outbox', rec) }
  deleteOutbox (id) { return this.db.delete('outbox', id) }

  deliveries () { return this.db.getAll('delivery') }
  putDelivery (rec) { return this.db.put('delivery', rec) }

  relays () { return this.db.getAll('relays') }
  putRelay (addr) { return this.db.put('relays', { addr, added: Date.now() }) }
}
