// The phone page's interface: the web UI's layout and look (its
// stylesheet is bundled into app.css), drawn from the engine's GroupInfo
// and View objects (phone/API.md). Text is only ever set as text.

const $ = (id) => document.getElementById(id)

function el (tag, cls, text) {
  const e = document.createElement(tag)
  if (cls) e.className = cls
  if (text != null) e.textContent = text
  return e
}

function hue (fp) {
  let h = 0
  for (const c of fp ?? '') h = (h * 31 + c.charCodeAt(0)) % 360
  return h
}

function clock (ms) {
  const d = new Date(ms)
  const now = new Date()
  const t = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
  return d.toDateString() === now.toDateString() ? t : `${d.toLocaleDateString()} ${t}`
}

const kinds = { channel: 'channel', open: 'open', private: 'private', announce: 'announcements' }

export class UI {
  constructor (app) {
    this.app = app
    this.current = '' // the group shown
    this.unread = new Map()
    this.replyTo = ''
    this.shown = new Set() // IDs of the messages in #messages
    this.scrollPending = false
    this.wire()
  }

  wire () {
    const app = () => $('app')
    $('open-drawer').onclick = () => app().classList.add('drawer-open')
    $('close-drawer').onclick = () => app().classList.remove('drawer-open')
    $('scrim').onclick = () => app().classList.remove('drawer-open')
    for (const b of document.querySelectorAll('[data-close]')) b.onclick = () => b.closest('dialog').close()

    $('compose').onsubmit = (e) => {
      e.preventDefault()
      this.sendTyped()
    }
    $('input').onkeydown = (e) => {
      if (e.key === 'Enter' && !e.shiftKey) {
        e.preventDefault()
        this.sendTyped()
      }
    }
    $('reply-cancel').onclick = () => this.setReply('')

    $('open-join').onclick = () => {
      $('join-error').hidden = true
      $('join-dialog').showModal()
    }
    $('join-form').onsubmit = async (e) => {
      e.preventDefault()
      const v = $('join-input').value.trim()
      try {
        if (v.startsWith('starling://') || v.includes('#starling')) {
          await this.app.join(v.includes('#') ? decodeURIComponent(v.slice(v.indexOf('#') + 1)) : v)
        } else {
          await this.app.joinChannel(v)
        }
        $('join-dialog').close()
        $('join-input').value = ''
        $('app').classList.remove('drawer-open')
      } catch (err) {
        this.showError('join-error', err)
      }
    }

    $('open-relay').onclick = () => {
      $('relay-error').hidden = true
      $('relay-dialog').showModal()
    }
    $('relay-form').onsubmit = async (e) => {
      e.preventDefault()
      try {
        await this.app.addRelay($('relay-input').value)
        $('relay-dialog').close()
        $('relay-input').value = ''
        $('app').classList.remove('drawer-open')
        this.status()
      } catch (err) {
        this.showError('relay-error', err)
      }
    }

    $('open-info').onclick = () => this.showInfo()
    $('info-copy').onclick = () => {
      const t = $('info-invite')
      t.select()
      navigator.clipboard?.writeText(t.value).catch(() => document.execCommand('copy'))
    }
    $('info-leave').onclick = async () => {
      const id = this.current
      $('info-dialog').close()
      await this.app.leave(id)
      this.select(this.app.groups.keys().next().value ?? '')
    }
    $('link-leave').onclick = async () => {
      await this.app.leave(this.current)
      this.select(this.app.groups.keys().next().value ?? '')
    }
    setInterval(() => this.status(), 2000)
  }

  showError (id, err) {
    $(id).textContent = err.message
    $(id).hidden = false
  }

  fatal (msg) {
    $('fatal').textContent = msg
    $('fatal').hidden = false
  }

  notice (msg) {
    $('notice').textContent = msg
    $('notice').hidden = !msg
  }

  server (s) {
    const box = $('served')
    box.replaceChildren()
    if (s == null) {
      box.append(el('span', '', 'This page came from a node that did not say who it is.'))
      return
    }
    box.append(el('span', '', `Page served by ${s.name || 'a node'} `), el('code', 'fp', s.fingerprintPretty || s.fingerprint))
  }

  // askName asks the person's name on the first visit.
  askName () {
    return new Promise((resolve) => {
      const d = $('name-dialog')
      $('name-form').onsubmit = (e) => {
        e.preventDefault()
        const v = $('name-input').value.trim()
        if (v.length < 1 || v.length > 64) {
          this.showError('name-error', new Error('A name takes 1 to 64 characters.'))
          return
        }
        d.close()
        resolve(v)
      }
      d.showModal()
      $('name-input').focus()
    })
  }

  me (me) {
    const box = $('me')
    box.replaceChildren(
      el('div', '', `You: ${me.name}`),
      el('div', '', 'Fingerprint '), el('code', 'fp', me.fingerprintPretty),
      el('div', '', `Safety code ${me.safetyCode}`)
    )
    box.querySelector('code').id = 'my-fp'
    box.lastChild.id = 'my-safety'
  }

  // groups redraws the group list.
  groups () {
    const ul = $('groups')
    ul.replaceChildren()
    for (const g of this.app.groups.values()) {
      const b = el('button')
      b.type = 'button'
      b.dataset.group = g.id
      b.setAttribute('aria-current', String(g.id === this.current))
      b.append(el('span', 'name', g.name || `joining-${g.id.slice(0, 8)}`), el('span', 'kind', kinds[g.kind] ?? g.kind))
      const n = this.unread.get(g.id) ?? 0
      if (n > 0) b.append(el('span', 'badge', String(n)))
      b.onclick = () => {
        this.select(g.id)
        $('app').classList.remove('drawer-open')
      }
      const li = el('li')
      li.append(b)
      ul.append(li)
    }
    if (this.current === '' && this.app.groups.size > 0) this.select(this.app.groups.keys().next().value)
    else this.header()
  }

  // header shows the current group's name, standing and link state.
  header () {
    const g = this.app.groups.get(this.current)
    $('group-name').textContent = g ? (g.name || `joining-${g.id.slice(0, 8)}`) : 'Starling'
    $('open-info').disabled = !g
    let why = ''
    if (g && g.linkError) {
      why = g.linkError
    } else if (g && !g.canPost) {
      why = g.standing
    }
    $('refused').textContent = why
    $('refused').hidden = !why
    $('link-leave').hidden = !(g && g.linkError)
    $('learning').hidden = !(g && !g.genesisKnown && !g.linkError)
    const can = !!g && g.canPost && g.genesisKnown && !g.linkError
    $('input').disabled = !can
    $('send').disabled = !can
    this.status()
  }

  async select (id) {
    this.current = id ?? ''
    this.unread.delete(this.current)
    this.setReply('')
    this.groups()
    const box = $('messages')
    box.replaceChildren()
    this.shown = new Set()
    if (!this.current) return
    const views = await this.app.history(this.current)
    if (this.current !== id) return
    for (const v of views.slice(-300)) this.add(v, true)
    $('empty').hidden = box.childElementCount > 0
    this.scroll()
  }

  // scroll shows the newest message, once a frame however many arrive.
  scroll () {
    if (this.scrollPending) return
    this.scrollPending = true
    requestAnimationFrame(() => {
      this.scrollPending = false
      const log = $('log')
      log.scrollTop = log.scrollHeight
    })
  }

  // add shows a stored message if it belongs to the group shown.
  add (v, quiet) {
    if (v.group !== this.current) {
      if (v.kind === 'text' && !v.own) {
        this.unread.set(v.group, (this.unread.get(v.group) ?? 0) + 1)
        if (!quiet) this.groups()
      }
      return
    }
    if (v.kind === 'descriptor' || v.kind === 'op') this.header()
    const node = this.render(v)
    if (node == null) return
    const box = $('messages')
    if (this.shown.has(v.id)) return
    this.shown.add(v.id)
    // Keep the order by send time.
    let before = null
    for (let c = box.lastElementChild; c; c = c.previousElementSibling) {
      if (Number(c.dataset.sent) <= v.sentAt) break
      before = c
    }
    box.insertBefore(node, before)
    $('empty').hidden = true
    if (this.app.stats.firstShownAt === 0 && v.kind === 'text') this.app.stats.firstShownAt = performance.now()
    if (!quiet) this.scroll()
  }

  remove (id) {
    this.shown.delete(id)
    document.querySelector(`[data-id="${id}"]`)?.remove()
  }

  render (v) {
    const g = this.app.groups.get(v.group)
    let node
    switch (v.kind) {
      case 'text':
      case 'image':
        node = this.renderText(v, g)
        break
      case 'op':
      case 'descriptor':
        node = el('p', 'note', this.describe(v))
        break
      case 'alert':
        node = el('p', 'warning alert', this.describe(v))
        node.setAttribute('role', 'alert')
        break
      case 'reaction':
        if (v.ref) this.drawReactions(v.group, v.ref)
        return null
      default:
        return null // profiles and deletions change others
    }
    node.dataset.id = v.id
    node.dataset.sent = String(v.sentAt)
    return node
  }

  describe (v) {
    const who = v.name || v.author?.slice(0, 8)
    const target = v.target ? v.target.slice(0, 8) : ''
    const reason = v.reason ? ` (${v.reason})` : ''
    switch (v.kind) {
      case 'descriptor': return `${who} set up the group`
      case 'alert': return `Alert from ${who}: ${v.text}`
    }
    switch (v.action) {
      case 'ban': return `${who} banned ${target}${reason}`
      case 'unban': return `${who} unbanned ${target}`
      case 'remove': return `${who} removed ${target}${reason}`
      case 'add': return `${who} added ${target}`
      case 'role': return `${who} changed ${target}'s role`
      case 'settings': return `${who} changed the group's settings`
      case 'rekey': return `${who} gave the members a new key`
    }
    return `${who}: ${v.action || v.kind}${reason}`
  }

  renderText (v, g) {
    const m = el('div', v.own ? 'msg own' : 'msg')
    const meta = el('div', 'meta')
    const author = el('button', 'author', v.name || v.author.slice(0, 8))
    author.type = 'button'
    author.style.setProperty('--hue', String(hue(v.author)))
    author.onclick = () => this.showAuthor(v, g)
    const t = el('time', '', clock(v.sentAt))
    t.dateTime = new Date(v.sentAt).toISOString()
    meta.append(author, el('span', 'fp', v.author.slice(0, 8)), t)
    if (v.own) {
      const d = el('span', 'delivery')
      d.dataset.delivery = v.id
      d.textContent = this.deliveryText(v.id)
      meta.append(d)
    }
    const actions = el('span', 'actions')
    const reply = el('button', '', 'Reply')
    reply.type = 'button'
    reply.onclick = () => this.setReply(v.id, v.text)
    const react = el('button', 'react', '+👍')
    react.type = 'button'
    react.setAttribute('aria-label', 'React with a thumbs up')
    react.onclick = () => this.app.act('react', v.group, v.id, '👍', false).catch((err) => this.notice(err.message))
    actions.append(reply, react)
    const me = this.app.me?.fingerprint
    const admin = g && (g.owner === me || (g.admins ?? []).includes(me))
    if (v.own || admin) {
      const del = el('button', 'danger', 'Delete')
      del.type = 'button'
      del.onclick = () => this.app.act('deleteMessage', v.group, v.id, '').catch((err) => this.notice(err.message))
      actions.append(del)
    }
    meta.append(actions)
    m.append(meta)
    if (v.ref) {
      const q = document.querySelector(`[data-id="${v.ref}"] .text`)
      m.append(el('div', 'reply', `↪ ${q ? q.textContent : 'an earlier message'}`))
    }
    let text = v.text
    if (v.unreadable) text = '🔒 A sealed message that no key of yours opens (yet).'
    if (v.kind === 'image' && !v.unreadable) {
      m.append(this.picture(v))
    }
    m.append(el('div', 'text', text))
    const chips = el('div', 'reactions')
    chips.dataset.reactions = v.id
    m.append(chips)
    this.fillReactions(chips, v.group, v.id)
    return m
  }

  // picture shows a picture as the web UI does: its preview (a small JPEG
  // the message carries, blurred, at the picture's aspect ratio), then the
  // full picture once its chunks are fetched from the group's peers and
  // checked by the engine; tap it to open it full size. When no peer holds
  // it, the caption says so and a tap on the preview tries again.
  picture (v) {
    const f = el('figure', 'picture')
    const img = v.image
    if (img?.width > 0 && img?.height > 0) {
      f.style.aspectRatio = `${img.width} / ${img.height}`
      f.style.maxWidth = `min(100%, ${img.width}px)`
    }
    if (img?.preview?.length > 0) {
      const p = el('img', 'preview')
      p.alt = 'A preview of the picture'
      p.src = URL.createObjectURL(new Blob([img.preview], { type: 'image/jpeg' }))
      f.append(p)
    }
    const label = `${img?.width}×${img?.height} ${(img?.format ?? '').toUpperCase()}, ${Math.ceil((img?.size ?? 0) / 1024)} KB`
    const caption = el('figcaption', '', `${label} · fetching the picture…`)
    f.append(caption)
    const load = async () => {
      if (f.dataset.state === 'loading' || f.dataset.state === 'shown') return
      f.dataset.state = 'loading'
      caption.textContent = `${label} · fetching the picture…`
      try {
        const pic = await this.app.picture(v)
        const url = URL.createObjectURL(new Blob([pic.data], { type: pic.mime }))
        const full = el('img', 'full')
        full.alt = v.text || 'A picture'
        full.src = url
        const open = el('a')
        open.href = url
        open.target = '_blank'
        open.rel = 'noopener'
        open.title = 'Open full size'
        open.append(full)
        // Hidden, not removed: it stays the figure's placeholder.
        full.onload = () => f.querySelector('img.preview')?.setAttribute('hidden', '')
        f.prepend(open)
        const save = el('a', '', 'Save')
        save.href = url
        save.download = `starling-${v.id.slice(0, 8)}.${pic.format === 'png' ? 'png' : 'jpg'}`
        caption.replaceChildren(`${label} · `, save)
        f.dataset.state = 'shown'
      } catch (err) {
        f.dataset.state = err.code === 'broken' ? 'broken' : 'missing'
        caption.textContent = err.code === 'broken'
          ? 'This picture is damaged (its sender\u2019s app is faulty).'
          : `${err.message} Tap the preview to try again.`
      }
    }
    f.onclick = (ev) => {
      if (f.dataset.state === 'missing') {
        ev.preventDefault()
        load()
      }
    }
    // When the message shows: at once, and again if no peer had it yet
    // (the relay may be fetching it itself, or not be connected yet).
    queueMicrotask(load)
    for (const after of [2000, 5000, 10000, 20000, 40000, 80000]) {
      setTimeout(() => { if (f.isConnected && f.dataset.state === 'missing') load() }, after)
    }
    return f
  }

  // drawReactions redraws the reaction chips under a shown message.
  drawReactions (group, id) {
    const chips = document.querySelector(`[data-reactions="${id}"]`)
    if (chips) this.fillReactions(chips, group, id)
  }

  fillReactions (chips, group, id) {
    chips.replaceChildren()
    const rs = this.app.engine?.reactions(group, id)
    const list = Array.isArray(rs) ? rs : []
    for (const r of list) {
      const b = el('button', r.mine ? 'reaction mine' : 'reaction', `${r.emoji} ${r.count}`)
      b.type = 'button'
      b.onclick = () => this.app.act('react', group, id, r.emoji, r.mine).catch((err) => this.notice(err.message))
      chips.append(b)
    }
    chips.hidden = list.length === 0
  }

  deliveryText (id) {
    const d = this.app.delivery.get(id)
    switch (d?.state) {
      case 'queued': return 'queued: no peer yet'
      case 'sent': return `sent to ${d.peers} ${d.peers === 1 ? 'peer' : 'peers'}`
      case 'held': return 'held by a node'
      default: return ''
    }
  }

  delivery (id) {
    const e = document.querySelector(`[data-delivery="${id}"]`)
    if (e) e.textContent = this.deliveryText(id)
  }

  setReply (id, text) {
    this.replyTo = id
    $('reply-bar').hidden = !id
    $('reply-quote').textContent = id ? `Replying to: ${text ?? ''}` : ''
  }

  async sendTyped () {
    const input = $('input')
    const text = input.value
    if (!text.trim() || !this.current) return
    try {
      await this.app.post(this.current, text, this.replyTo)
      input.value = ''
      this.setReply('')
    } catch (err) {
      this.notice(err.message)
    }
  }

  showAuthor (v, g) {
    $('author-name').textContent = v.name || v.author.slice(0, 8)
    $('author-fp').textContent = v.author
    const s = this.app.engine.safetyNumber(v.authorKey)
    $('author-safety').textContent = s.error ? '' : s.number
    const me = this.app.me?.fingerprint
    const admin = g && (g.owner === me || (g.admins ?? []).includes(me))
    const banned = (g?.banned ?? []).includes(v.author)
    const b = $('author-ban')
    b.hidden = !admin || v.own
    b.textContent = banned ? 'Unban' : 'Ban'
    b.onclick = async () => {
      try {
        if (banned) await this.app.act('unban', v.group, v.author)
        else await this.app.act('ban', v.group, v.author, '')
        $('author-dialog').close()
      } catch (err) {
        this.notice(err.message)
      }
    }
    $('author-dialog').showModal()
  }

  showInfo () {
    const g = this.app.groups.get(this.current)
    if (!g) return
    const box = $('info-body')
    box.replaceChildren()
    const row = (k, v) => {
      const p = el('p')
      p.append(el('strong', '', `${k}: `), el('span', '', v))
      box.append(p)
    }
    row('Kind', kinds[g.kind] ?? g.kind)
    if (g.owner) row('Owner', g.owner)
    if ((g.admins ?? []).length) row('Admins', g.admins.join(', '))
    row('Members with a profile', String((g.members ?? []).length))
    if ((g.banned ?? []).length) row('Banned', g.banned.join(', '))
    if (g.endsAt) row('Ends', new Date(g.endsAt).toLocaleString())
    if (g.standing) row('Your standing', g.standing)
    row('Relays', (g.relays ?? []).join(' ') || 'none named')
    row('ID', g.id)
    $('info-title').textContent = g.name || g.id.slice(0, 8)
    $('info-invite-error').hidden = true
    $('info-invite').value = ''
    try {
      $('info-invite').value = this.app.inviteURL(g)
    } catch (err) {
      this.showError('info-invite-error', err)
    }
    $('info-dialog').showModal()
  }

  status () {
    const net = this.app.net
    if (net?.node == null) return
    const peers = net.peers().length
    $('st-conn').textContent = peers === 0 ? 'no node connected: retrying' : `connected to ${peers} ${peers === 1 ? 'node' : 'nodes'}`
    $('st-conn').classList.toggle('bad', peers === 0)
    const g = this.app.groups.get(this.current)
    if (g?.topic) {
      const n = net.topicPeers(g.topic).length
      $('group-peers').textContent = `${n} ${n === 1 ? 'peer' : 'peers'} in the group`
    } else {
      $('group-peers').textContent = ''
    }
    let queued = 0
    for (const d of this.app.delivery.values()) if (d.state === 'queued') queued++
    $('st-outbox').textContent = queued ? `${queued} waiting to send` : ''
  }
}
