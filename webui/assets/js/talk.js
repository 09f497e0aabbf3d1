// Conversation beyond texts: replies, reactions and the @name picker.
//
// Every text has Reply and React buttons beside its name. Reply puts a bar
// above the input quoting the message; what is sent next answers it (✕
// lets go). React opens a palette of emoji (or any one emoji typed in);
// reactions show as chips under the text, "👍 2", this user's highlighted,
// and a chip toggles this user's own. A text that mentions this user is
// highlighted. Typing "@" and the start of a name lists the group's people
// it could be; a click or Tab picks one, and Tab says which names an
// ambiguous prefix could be. All text from the network goes in with
// textContent.

import { el, shortFP } from './view.js';
import { mentionPrefix, matchNames, completeMention } from './mention.js';

const $ = (id) => document.getElementById(id);

// palette is the emoji the React button offers first.
const palette = ['👍', '❤️', '😂', '🎉', '😮', '😢', '🙏', '👀'];

export class Talk {
  // api: the page's API calls; me: this user's identity; current(): the
  // open group; notice(text).
  constructor(api, me, current, notice) {
    this.api = api;
    this.me = me;
    this.current = current;
    this.notice = notice;
    this.reply = null; // {groupID, id}
    this.people = new Map(); // group ID: nicknames
    this.input = $('input');
    this.bar = $('reply-bar');
    this.list = $('mention-list');
    this.picker = null;
    this.input.addEventListener('input', () => this.hint());
    this.input.addEventListener('keydown', (ev) => this.key(ev));
    $('reply-cancel').addEventListener('click', () => this.clear());
    document.addEventListener('click', (ev) => {
      if (this.picker && !this.picker.contains(ev.target) && !ev.target.closest('.react-open')) this.closePalette();
    });
  }

  // decorate adds to a drawn text its buttons, reactions and mention mark.
  decorate(group, e, node) {
    const m = e.msg;
    node.classList.toggle('mention', !!m.mentions_you && !e.deleted);
    if (m.kind !== 'text' || e.deleted || m.unreadable) return;
    const reply = el('button', { type: 'button', className: 'reply-open', textContent: 'Reply' });
    reply.addEventListener('click', () => this.replyTo(group, e));
    const react = el('button', { type: 'button', className: 'react-open', textContent: 'React' });
    react.addEventListener('click', () => this.openPalette(group, e, react));
    node.querySelector('.meta')?.append(el('span', { className: 'actions talk' }, reply, react));
    const rs = m.reactions || [];
    if (rs.length === 0) return;
    const chips = el('div', { className: 'reactions' });
    for (const r of rs) {
      const chip = el('button', { type: 'button', className: 'reaction', textContent: `${r.emoji} ${r.count}` });
      chip.classList.toggle('mine', !!r.mine);
      chip.dataset.emoji = r.emoji;
      chip.title = (r.names || []).join(', ') + (r.count > (r.names || []).length ? ' and others' : '') + (r.mine ? ' (click to take yours back)' : '');
      chip.addEventListener('click', () => this.react(group, e.id, r.emoji, !!r.mine));
      chips.append(chip);
    }
    node.append(chips);
  }

  replyTo(group, e) {
    this.reply = { groupID: group.id, id: e.id };
    const who = e.msg.name || shortFP(e.msg.author);
    $('reply-quote').textContent = `Replying to ${who}: ${e.msg.text}`;
    this.bar.hidden = false;
    this.input.focus();
  }

  clear() {
    this.reply = null;
    this.bar.hidden = true;
  }

  // target is the ID of the message the next send in groupID answers, or ''.
  target(groupID) {
    return this.reply && this.reply.groupID === groupID ? this.reply.id : '';
  }

  groupChanged() {
    this.clear();
    this.closePalette();
    this.hint();
  }

  async react(group, id, emoji, remove) {
    this.closePalette();
    try {
      const res = await this.api.react(group.id, id, emoji, remove);
      if (!res.changed) this.notice(remove ? `You had no ${emoji} there.` : `You reacted ${emoji} there already.`);
      return res;
    } catch (err) {
      this.notice('No reaction: ' + err.message);
      return null;
    }
  }

  openPalette(group, e, anchor) {
    this.closePalette();
    const p = el('div', { className: 'react-palette', role: 'dialog' });
    p.setAttribute('aria-label', 'React with');
    for (const emoji of palette) {
      const b = el('button', { type: 'button', textContent: emoji });
      b.addEventListener('click', () => this.react(group, e.id, emoji, false));
      p.append(b);
    }
    const other = el('input', { className: 'react-other', placeholder: 'other', maxLength: 16 });
    other.setAttribute('aria-label', 'Another emoji');
    other.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && other.value.trim()) {
        ev.preventDefault();
        this.react(group, e.id, other.value.trim(), false);
      } else if (ev.key === 'Escape') {
        this.closePalette();
      }
    });
    p.append(other);
    anchor.closest('.msg').append(p);
    this.picker = p;
  }

  closePalette() {
    this.picker?.remove();
    this.picker = null;
  }

  // names are the nicknames the picker offers in the open group.
  names() {
    const g = this.current();
    return g ? this.people.get(g.id) || [] : [];
  }

  async loadPeople(g) {
    try {
      const ps = await this.api.people(g.id);
      this.people.set(g.id, ps.filter((p) => p.fingerprint !== this.me.fingerprint).map((p) => p.name));
    } catch (err) {
      this.notice('Could not list the people here: ' + err.message);
    }
  }

  typed() {
    return this.input.value.slice(0, this.input.selectionEnd ?? this.input.value.length);
  }

  // hint shows, while "@prefix" is typed, the names it could be.
  async hint() {
    const prefix = mentionPrefix(this.typed());
    const g = this.current();
    if (prefix === null || !g) {
      this.list.hidden = true;
      return;
    }
    if (!this.people.has(g.id)) await this.loadPeople(g);
    const m = matchNames(this.names(), prefix);
    this.list.replaceChildren();
    if (m.length === 0) {
      if (/\s/.test(prefix)) {
        this.list.hidden = true; // a sentence after a name, not a name
        return;
      }
      this.list.append(el('li', { className: 'none', textContent: `Nobody here is called @${prefix}…` }));
    }
    for (const name of m.slice(0, 8)) {
      const li = el('li');
      const b = el('button', { type: 'button', textContent: '@' + name });
      b.addEventListener('click', () => this.pick(name));
      li.append(b);
      this.list.append(li);
    }
    this.list.hidden = false;
  }

  pick(name) {
    const head = this.typed();
    const prefix = mentionPrefix(head);
    if (prefix === null) return;
    const rest = this.input.value.slice(head.length);
    const done = head.slice(0, head.length - prefix.length) + name + ' ';
    this.input.value = done + rest;
    this.input.setSelectionRange(done.length, done.length);
    this.list.hidden = true;
    this.input.focus();
  }

  key(ev) {
    if (ev.key !== 'Tab' || ev.shiftKey) return;
    const head = this.typed();
    const prefix = mentionPrefix(head);
    if (prefix === null) return;
    ev.preventDefault();
    const { error } = completeMention(head, this.names());
    if (error) {
      this.notice(error);
      return;
    }
    this.notice('');
    this.pick(matchNames(this.names(), prefix)[0]);
  }
}
