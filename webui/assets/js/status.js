// The status bar (socket, peers, relays, outbox), the banner when this user
// can no longer post in the open group (removed, banned, a stale invite),
// and otherwise the plain warnings when this device is cut off from everyone
// else in it, or its disk is too full to take messages.

import { plural } from './view.js';
import { whyNoPeer, whyText } from './doctor.js';

const $ = (id) => document.getElementById(id);

export function showConnection(state) {
  const pill = $('st-conn');
  pill.textContent = { live: 'live', connecting: 'connecting…', offline: 'not connected to the node' }[state] || state;
  pill.classList.toggle('bad', state === 'offline');
}

// showStatus draws the node's status; group is the open group's entry in
// status.groups, if any.
export function showStatus(status, group) {
  const peers = $('st-peers');
  peers.textContent = plural(status.peers, 'peer');
  peers.classList.toggle('bad', status.peers === 0);

  const relays = $('st-relays');
  const rs = status.relays || [];
  if (rs.length === 0) {
    relays.textContent = '';
  } else if (rs.some((r) => r.reserved)) {
    relays.textContent = 'relay reachable';
    relays.classList.remove('bad');
  } else if (rs.some((r) => r.connected)) {
    relays.textContent = 'relay connected, no reservation yet';
    relays.classList.remove('bad');
  } else {
    relays.textContent = rs.length === 1 ? 'relay unreachable' : 'relays unreachable';
    relays.classList.add('bad');
  }

  $('st-outbox').textContent = status.outbox > 0 ? plural(status.outbox, 'message') + ' waiting to go out' : '';

  // The node's disk: why it refuses messages, if it does.
  const disk = $('disk');
  const store = status.store;
  disk.hidden = !store || store.state === 'ok';
  disk.textContent = disk.hidden ? '' : `Disk ${store.state}: ${store.reason}`;

  // Nobody found: the doctor's reason, in place of the plain cut-off line.
  const why = whyNoPeer(status);
  $('why').hidden = !why;
  $('why').textContent = why ? whyText(why) : '';

  const cutoff = $('cutoff');
  const sub = $('group-peers');
  const refused = $('refused');
  if (!group) {
    cutoff.hidden = true;
    refused.hidden = true;
    sub.textContent = '';
    return;
  }
  sub.textContent = group.peers === 1 ? '1 peer here' : `${group.peers} peers here`;
  // The node's own sentence: who removed or banned this user and when, or
  // that their invite went stale. What they send here goes to nobody, so
  // it stands in for the cut-off warning.
  refused.hidden = !group.refused;
  refused.textContent = group.refused || '';
  if (group.peers > 0 || group.refused || why) {
    cutoff.hidden = true;
  } else if (status.peers === 0) {
    cutoff.hidden = false;
    cutoff.textContent = 'You are cut off: this device reaches no other device right now. ' +
      'What you send waits here and goes out when someone is back in reach.';
  } else {
    cutoff.hidden = false;
    cutoff.textContent = `You are cut off from everyone else in ${group.name}: none of the ` +
      `${plural(status.peers, 'device')} you reach is in this group. ` +
      'What you send waits here (or on a relay) until someone in it is in reach.';
  }
}
