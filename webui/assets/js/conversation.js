// One group's conversation: its messages in the store's order (sent_at, then
// ID), so that a late arrival lands where it was written, drawn into its own
// element. Every text from the network (nicknames, messages, reasons) goes
// into the page with textContent, never as HTML.

import { alertNote } from './alert.js';
import { el, ms, shortFP, fullTime, deliveryText } from './view.js';
import { authorColour, clock24, markDay, foldLong, deletedPlaceholder } from './look.js';

// maxPending bounds the news held for messages not loaded yet (a delivery
// update or a deletion can overtake its message).
const maxPending = 1000;

// deliveryRank orders delivery states as they progress; refused ends a
// message that never left this device.
const deliveryRank = { queued: 0, sent: 1, relayed: 2, refused: 3 };

// newer picks the later of two reports on one message: by time, then by
// progress. The report built from a send's answer has no time, so any event
// from the node supersedes it.
export function newer(a, b) {
  const ta = ms(a.at);
  const tb = ms(b.at);
  if (ta !== tb) return tb > ta ? b : a;
  const ra = deliveryRank[a.state] ?? -1;
  const rb = deliveryRank[b.state] ?? -1;
  if (rb > ra || (rb === ra && b.peers + b.relays > a.peers + a.relays)) return b;
  return a;
}

function before(a, b) {
  if (a.sentAt !== b.sentAt) return a.sentAt < b.sentAt ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export class Conversation {
  // group: {id, name, kind}; ui: {me, onAuthor(entry), onDelete(entry), image(m),
  // decorate(group, entry, node): adds replies' and reactions' parts}.
  constructor(group, ui) {
    this.group = group;
    this.ui = ui;
    this.el = el('div', { className: 'conv' });
    this.entries = [];
    this.byID = new Map();
    this.pendingDelivery = new Map();
    this.pendingDelete = new Map();
    // loaded: the newest page was read; older continues backwards;
    // stale: the socket was down, so the newest page must be read again.
    this.loaded = false;
    this.older = '';
    this.stale = false;
  }

  // add puts a message where it belongs, or updates one already held. live:
  // it came by the socket now. It returns whether it is new and whether it
  // landed before the newest message (in the middle).
  add(m, live) {
    if (m.kind === 'delete' && m.ref) {
      this.markDeleted(m.ref, m);
      return { isNew: false };
    }
    if (m.kind !== 'text' && m.kind !== 'image') {
      if (live) this.note(m);
      return { isNew: false };
    }
    const old = this.byID.get(m.id);
    if (old) {
      if (m.delivery) this.setDelivery(old, m.delivery);
      return { isNew: false };
    }
    const e = { id: m.id, sentAt: ms(m.sent_at), msg: m, delivery: null, deleted: null, node: null };
    if (m.delivery) this.setDelivery(e, m.delivery, true);
    if (this.pendingDelivery.has(m.id)) {
      this.setDelivery(e, this.pendingDelivery.get(m.id), true);
      this.pendingDelivery.delete(m.id);
    }
    if (this.pendingDelete.has(m.id)) {
      e.deleted = this.pendingDelete.get(m.id);
      this.pendingDelete.delete(m.id);
    }
    const i = this.indexFor(e);
    const inMiddle = i < this.entries.length;
    // A message that arrives live in the middle was late: it was written
    // before messages already shown.
    e.late = m.late || (live && inMiddle);
    this.entries.splice(i, 0, e);
    this.byID.set(e.id, e);
    e.node = this.render(e);
    const next = this.entries[i + 1];
    this.el.insertBefore(e.node, next ? next.node : null);
    markDay(this.entries, i);
    markDay(this.entries, i + 1);
    return { isNew: true, inMiddle };
  }

  indexFor(e) {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(this.entries[mid], e) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  // note shows a control message that arrived live (a ban, a changed
  // descriptor) as a line of its own.
  note(m) {
    let text;
    switch (m.kind) {
      case 'ban':
        text = `${m.name || shortFP(m.author)} banned ${shortFP(m.target)}` + (m.text ? `: ${m.text}` : '');
        break;
      case 'descriptor':
        text = `${m.name || shortFP(m.author)} changed the group's settings`;
        break;
      case 'alert':
        this.el.append(alertNote(m));
        return;
      default:
        return;
    }
    this.el.append(el('p', { className: 'note', textContent: text }));
  }

  deliver(d) {
    const e = this.byID.get(d.id);
    if (e) {
      this.setDelivery(e, d);
      return;
    }
    const old = this.pendingDelivery.get(d.id);
    if (old && newer(old, d) === old) return;
    if (this.pendingDelivery.size < maxPending || old) this.pendingDelivery.set(d.id, d);
  }

  setDelivery(e, d, quiet) {
    e.delivery = e.delivery ? newer(e.delivery, d) : d;
    if (!quiet && e.node) this.redraw(e);
  }

  markDeleted(id, by) {
    const e = this.byID.get(id);
    if (e) {
      e.deleted = by;
      this.redraw(e);
    } else {
      // A node drops a deleted message and keeps its deletion: show where
      // it went, as the terminal chat does, at the deletion's time.
      this.placeDeleted(id, by);
    }
  }

  // placeDeleted puts a placeholder for a deleted message this
  // conversation does not hold. Should the message come after all, it
  // stays a placeholder.
  placeDeleted(id, by) {
    const named = this.entries.find((x) => x.msg.author === by.author && x.msg.name);
    const deleted = { ...by, name: by.name || (named ? named.msg.name : '') };
    const e = { id, sentAt: ms(by.sent_at), msg: { id, author: '', sent_at: by.sent_at }, deleted, placeholder: true, node: null };
    const i = this.indexFor(e);
    this.entries.splice(i, 0, e);
    this.byID.set(id, e);
    e.node = deletedPlaceholder(e);
    const next = this.entries[i + 1];
    this.el.insertBefore(e.node, next ? next.node : null);
    markDay(this.entries, i);
    markDay(this.entries, i + 1);
  }

  // hide drops an author's messages (after a block or mute).
  hide(author) {
    this.entries = this.entries.filter((e) => {
      if (e.msg.author !== author) return true;
      e.node.remove();
      this.byID.delete(e.id);
      return false;
    });
    this.entries.forEach((_, i) => markDay(this.entries, i));
  }

  // reset forgets the messages; the next read starts afresh.
  reset() {
    this.entries = [];
    this.byID.clear();
    this.el.replaceChildren();
    this.loaded = false;
    this.older = '';
  }

  // newestReceived is when the newest message held arrived, in ms.
  newestReceived() {
    let t = 0;
    for (const e of this.entries) t = Math.max(t, ms(e.msg.received_at));
    return t;
  }

  redraw(e) {
    const node = e.placeholder ? deletedPlaceholder(e) : this.render(e);
    e.node.replaceWith(node);
    e.node = node;
    markDay(this.entries, this.entries.indexOf(e));
  }

  render(e) {
    const m = e.msg;
    const own = m.author === this.ui.me.fingerprint;
    const node = el('article', { className: 'msg' });
    node.dataset.id = m.id;
    node.classList.toggle('own', own);
    node.classList.toggle('late', e.late);
    node.classList.toggle('deleted', !!e.deleted);

    const author = el('button', { type: 'button', className: 'author', textContent: m.name || 'no name' });
    author.style.color = authorColour(m.author_key || m.author);
    author.title = 'Fingerprint ' + m.author;
    author.addEventListener('click', () => this.ui.onAuthor(m));
    const sent = el('time', { textContent: clock24(m.sent_at) });
    sent.dateTime = m.sent_at;
    sent.title = 'sent ' + fullTime(m.sent_at) + ', received ' + fullTime(m.received_at);
    const meta = el('div', { className: 'meta' }, author, el('span', { className: 'fp', textContent: shortFP(m.author) }), sent);
    if (e.late) {
      meta.append(el('span', { className: 'late-note', textContent: '↳ arrived late, ' + clock24(m.received_at) }));
    }
    if (own && !e.deleted) {
      const del = el('button', { type: 'button', textContent: 'Delete' });
      del.addEventListener('click', () => this.ui.onDelete(this.group, e));
      meta.append(el('span', { className: 'actions' }, del));
    }
    node.append(meta);

    if (m.ref) {
      const target = this.byID.get(m.ref);
      const quote = target
        ? `↪ ${target.msg.name || shortFP(target.msg.author)}: ${target.deleted ? '(deleted)' : target.msg.text}`
        : '↪ reply to an earlier message';
      node.append(el('div', { className: 'reply', textContent: quote }));
    }

    let text = m.text;
    if (m.unreadable) text = '(sealed: this device holds no key for it)';
    if (e.deleted) {
      const by = e.deleted.author && e.deleted.author !== m.author ? ` by ${e.deleted.name || shortFP(e.deleted.author)}` : '';
      text = `message deleted${by}` + (e.deleted.text ? `: ${e.deleted.text}` : '');
    }
    node.append(el('div', { className: 'text', textContent: text }));
    if (m.image && !e.deleted && this.ui.image) node.append(this.ui.image(m));
    if (!e.deleted) foldLong(node, text || '');
    if (own && e.delivery && !e.deleted) {
      const d = el('div', { className: 'delivery', textContent: deliveryText(e.delivery) });
      d.dataset.state = e.delivery.state;
      node.append(d);
    }
    this.ui.decorate?.(this.group, e, node);
    return node;
  }

  // setReactions takes a text's new reactions (from the socket, or a
  // reaction's answer).
  setReactions(id, reactions) {
    const e = this.byID.get(id);
    if (!e) return;
    e.msg.reactions = reactions;
    this.redraw(e);
  }
}
