// Small helpers for drawing: elements built from properties (text goes in
// as textContent, never as HTML), names, times and delivery states.

// el makes an element with properties and children.
export function el(tag, props, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props || {});
  node.append(...children);
  return node;
}

// shortFP is the first eight characters of a fingerprint: enough to tell
// people in one room apart.
export function shortFP(fp) {
  return (fp || '').slice(0, 8);
}

// ms reads an API time (RFC 3339, up to nanoseconds) as milliseconds.
export function ms(iso) {
  return iso ? Date.parse(String(iso).replace(/(\.\d{3})\d+/, '$1')) || 0 : 0;
}

const sameDay = (a, b) => a.toDateString() === b.toDateString();

// clock is a time as people read it at an event: the hour, with the date
// when it is not today.
export function clock(iso) {
  const t = new Date(ms(iso));
  if (!ms(iso)) return '';
  const hm = t.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return sameDay(t, new Date()) ? hm : t.toLocaleDateString([], { month: 'short', day: 'numeric' }) + ' ' + hm;
}

export function fullTime(iso) {
  return ms(iso) ? new Date(ms(iso)).toLocaleString([], { hourCycle: 'h23' }) : '?';
}

export function plural(n, what) {
  return n === 1 ? `1 ${what}` : `${n} ${what}s`;
}

// deliveryText says where one of this user's messages is, in the terminal
// chat's words.
export function deliveryText(d) {
  switch (d.state) {
    case 'queued':
      return 'queued on this device';
    case 'sent':
      return 'sent to ' + plural(d.peers, 'peer');
    case 'relayed': {
      let s = d.relays > 1 ? `held by ${d.relays} relays` : 'held by a relay';
      if (d.peers > 0) s = 'sent to ' + plural(d.peers, 'peer') + ', ' + s;
      return s;
    }
    case 'refused':
      return 'not sent: you can no longer post here';
    default:
      return d.state;
  }
}
