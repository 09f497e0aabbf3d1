// The group list with unread counts, and the drawer it becomes on a phone.
// What was read is kept per group (the newest received_at seen) in
// localStorage, so counts survive a reload.

import { el } from './view.js';

const $ = (id) => document.getElementById(id);
const readKey = (id) => 'starling.read.' + id;

export class Groups {
  constructor(onSelect) {
    this.onSelect = onSelect;
    this.list = [];
    this.unread = new Map();
    this.current = '';
    $('open-drawer').addEventListener('click', () => this.drawer(true));
    $('close-drawer').addEventListener('click', () => this.drawer(false));
    $('scrim').addEventListener('click', () => this.drawer(false));
    document.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') this.drawer(false);
    });
  }

  drawer(open) {
    $('app').classList.toggle('drawer-open', open);
  }

  set(list) {
    this.list = list;
    this.draw();
  }

  byID(id) {
    return this.list.find((g) => g.id === id);
  }

  // lastRead is when the newest message seen in a group arrived, in ms (0:
  // never opened here).
  lastRead(id) {
    return Number(localStorage.getItem(readKey(id))) || 0;
  }

  markRead(id, receivedMS) {
    if (receivedMS > this.lastRead(id)) localStorage.setItem(readKey(id), String(receivedMS));
    if (this.unread.get(id)) {
      this.unread.set(id, 0);
      this.draw();
    }
  }

  setUnread(id, n) {
    this.unread.set(id, n);
    this.draw();
  }

  bump(id) {
    this.unread.set(id, (this.unread.get(id) || 0) + 1);
    this.draw();
  }

  draw() {
    const ul = $('groups');
    ul.replaceChildren(
      ...this.list.map((g) => {
        const b = el('button', { type: 'button' }, el('span', { className: 'name', textContent: g.name }));
        b.dataset.group = g.id;
        b.title = `${g.name} (${g.kind})`;
        if (g.kind !== 'channel' && g.kind !== 'open') b.append(el('span', { className: 'kind', textContent: g.kind }));
        const n = this.unread.get(g.id) || 0;
        if (n > 0) b.append(el('span', { className: 'badge unread', textContent: n > 99 ? '99+' : String(n) }));
        b.setAttribute('aria-current', String(g.id === this.current));
        b.addEventListener('click', () => {
          this.drawer(false);
          this.onSelect(g.id);
        });
        return el('li', {}, b);
      }),
    );
    let total = 0;
    for (const [id, n] of this.unread) if (id !== this.current) total += n;
    const all = $('unread-all');
    all.hidden = total === 0;
    all.textContent = String(total);
    document.title = total > 0 ? `(${total}) Starling` : 'Starling';
  }
}
