// How a conversation looks beyond its messages' words, kept apart from the
// conversation's bookkeeping: authors' colours (the terminal chat's), times
// on a 24-hour clock, a line where a new day starts, long messages folded
// behind "Show more", and a placeholder where a deleted message was.

import { el, ms, shortFP } from './view.js';

// authorPalette is the terminal chat's (tui/styles.go): 256-colour indices
// readable on dark and light backgrounds, picked by FNV-1a of the author's
// key, so that a person has the same colour in both.
const authorPalette = [33, 37, 41, 69, 99, 135, 162, 166, 172, 178, 203, 208, 39, 77, 105, 214];

// xterm256 is the RGB of a 256-colour index from the 6x6x6 cube (16-231)
// or the grey ramp (232-255), as terminals draw them.
function xterm256(i) {
  if (i >= 232) {
    const v = 8 + (i - 232) * 10;
    return `rgb(${v}, ${v}, ${v})`;
  }
  const level = (n) => (n === 0 ? 0 : 55 + n * 40);
  const c = i - 16;
  return `rgb(${level(Math.floor(c / 36))}, ${level(Math.floor(c / 6) % 6)}, ${level(c % 6)})`;
}

// authorColour is an author's colour from their key (hex, as the API
// gives it in author_key).
export function authorColour(key) {
  let h = 0x811c9dc5;
  const bytes = new TextEncoder().encode(key || '');
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return xterm256(authorPalette[h % authorPalette.length]);
}

const pad = (n) => String(n).padStart(2, '0');

// clock24 is a time of day on a 24-hour clock, as the terminal chat shows
// it: "09:05", "21:40".
export function clock24(iso) {
  const t = ms(iso);
  if (!t) return '';
  const d = new Date(t);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// dayOf is the local day a time falls on, as a label: "Today",
// "Yesterday", or the date ("Sat 5 Dec 2026").
export function dayOf(iso, now = new Date()) {
  const d = new Date(ms(iso));
  const key = (x) => `${x.getFullYear()}-${x.getMonth()}-${x.getDate()}`;
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (key(d) === key(now)) return 'Today';
  if (key(d) === key(yesterday)) return 'Yesterday';
  return d.toLocaleDateString([], { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' });
}

// markDay gives entries[i]'s node a day separator when its day is not the
// entry before it's (the first entry always has one).
export function markDay(entries, i) {
  const e = entries[i];
  if (!e || !e.node) return;
  const day = dayOf(e.msg.sent_at);
  const prev = entries[i - 1];
  const starts = !prev || dayOf(prev.msg.sent_at) !== day;
  e.node.classList.toggle('day-start', starts);
  if (starts) e.node.dataset.day = day;
  else delete e.node.dataset.day;
}

// longText is where a message counts as long: more characters or lines
// than a phone screen shows at once.
const longChars = 1200;
const longLines = 15;

// foldLong folds a long message's text behind "Show more" (and back).
export function foldLong(node, text) {
  const body = node.querySelector('.text');
  if (!body || (text.length <= longChars && text.split('\n').length <= longLines)) return;
  body.classList.add('folded');
  const toggle = el('button', { type: 'button', className: 'more', textContent: 'Show more' });
  toggle.addEventListener('click', () => {
    const folded = body.classList.toggle('folded');
    toggle.textContent = folded ? 'Show more' : 'Show less';
  });
  body.after(toggle);
}

// deletedPlaceholder draws where a deleted message was when the message
// itself is gone (a node drops what was deleted, and keeps the deletion):
// who deleted it and why, as the terminal chat says it.
export function deletedPlaceholder(e) {
  const by = e.deleted;
  const node = el('article', { className: 'msg deleted placeholder' });
  node.dataset.id = e.id;
  const who = by.name || shortFP(by.author);
  const text = `message deleted${who ? ' by ' + who : ''}` + (by.text ? `: ${by.text}` : '');
  const sent = el('time', { textContent: clock24(by.sent_at) });
  sent.dateTime = by.sent_at || '';
  node.append(el('div', { className: 'meta' }, sent), el('div', { className: 'text', textContent: text }));
  return node;
}
