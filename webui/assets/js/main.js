// The page: reads its token, loads the groups, keeps the event socket open
// and wires the conversation, the input, the dialogs and the status bar
// together. Order matters once: history is (re)read after the socket says
// "open", so no message falls between the two.

import { takeToken, forgetToken, makeAPI, connect } from './api.js';
import { Conversation } from './conversation.js';
import { Groups } from './groups.js';
import { setupCompose } from './compose.js';
import { setupJoin, setupCreate, setupInvite, setupAuthor } from './dialogs.js';
import { showConnection, showStatus } from './status.js';
import { ms, shortFP } from './view.js';
import { setupImages, makeImageAPI, imageNode } from './image.js';
import { Talk } from './talk.js';
import { Alerts } from './alert.js';

const $ = (id) => document.getElementById(id);
const pageSize = 50;
const statusEvery = 3000;
// maxCatchUp bounds the pages read backwards to close a gap after the
// socket was down.
const maxCatchUp = 10;

function notice(text) {
  const n = $('notice');
  n.textContent = text || '';
  n.hidden = !text;
}

async function main() {
  const token = takeToken();
  if (!token) {
    notice('This page needs the link that carries its key: run `starling open` on the computer that runs your node, or scan its pairing code, and use that link.');
    return;
  }
  let refused = false;
  let disconnect = () => {};
  const api = makeAPI(token, () => {
    refused = true;
    forgetToken();
    disconnect();
    notice('Your node refused this page\u2019s key; it has probably restarted. Open the new link that `starling open` prints.');
  });
  let me;
  try {
    me = await api.id();
  } catch (err) {
    if (!refused) notice(err.message);
    return;
  }
  $('me').textContent = `You: ${me.name} \u00b7 ${shortFP(me.fingerprint)}`;

  const log = $('log');
  const convs = new Map();
  let status = null;
  const openAuthor = setupAuthor(api, (author) => {
    for (const c of convs.values()) c.hide(author);
  });
  const images = makeImageAPI(token);
  const groups = new Groups(select);
  const talk = new Talk(api, me, () => groups.byID(groups.current), notice);
  const alerts = new Alerts(api, me, (id) => groups.byID(id)?.name || 'a group', notice);
  const ui = { me, onAuthor: (m) => openAuthor(m, me), onDelete, image: (m) => imageNode(images, m), decorate: (g, e, node) => talk.decorate(g, e, node) };

  const current = () => groups.byID(groups.current);
  const convFor = (g) => {
    if (!convs.has(g.id)) convs.set(g.id, new Conversation(g, ui));
    return convs.get(g.id);
  };
  const nearBottom = () => log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  const toBottom = () => {
    log.scrollTop = log.scrollHeight;
  };
  const drawConv = (conv) => {
    $('older').hidden = !conv.older;
    $('empty').hidden = conv.entries.length > 0;
  };
  const markRead = (conv) => {
    if (!document.hidden) groups.markRead(conv.group.id, conv.newestReceived());
  };

  // catchUp reads the newest page, and older ones until it meets what the
  // conversation holds, merging them in.
  async function catchUp(conv) {
    const first = !conv.loaded;
    let cursor = '';
    for (let i = 0; i < maxCatchUp; i++) {
      const page = await api.history(conv.group.id, pageSize, cursor);
      let overlap = false;
      for (const m of page.messages) {
        overlap = overlap || conv.byID.has(m.id);
        conv.add(m, false);
        alerts.see(m);
      }
      if (first) conv.older = page.next || '';
      if (first || overlap || !page.next) break;
      cursor = page.next;
    }
    conv.loaded = true;
    conv.stale = false;
  }

  async function select(id) {
    const g = groups.byID(id);
    if (!g) return;
    groups.current = id;
    talk.groupChanged();
    groups.drawer(false);
    sessionStorage.setItem('starling.group', id);
    $('group-name').textContent = g.name;
    $('open-invite').disabled = false;
    $('open-alert').hidden = g.kind === 'channel';
    const conv = convFor(g);
    $('messages').replaceChildren(conv.el);
    groups.draw();
    drawStatus();
    try {
      if (!conv.loaded || conv.stale) await catchUp(conv);
    } catch (err) {
      notice('Could not read ' + g.name + ': ' + err.message);
    }
    drawConv(conv);
    toBottom();
    markRead(conv);
  }

  async function refreshStatus() {
    try {
      status = await api.status();
    } catch (err) {
      if (!refused) notice(err.message);
      return;
    }
    const list = status.groups || [];
    const ids = (l) => l.map((g) => g.id + '\n' + g.name).join('\n');
    if (ids(list) !== ids(groups.list)) {
      groups.set(list);
      for (const g of list) if (convs.has(g.id)) convs.get(g.id).group = g;
    }
    if (!current() && list.length > 0) {
      const saved = sessionStorage.getItem('starling.group');
      await select(list.some((g) => g.id === saved) ? saved : list[0].id);
    }
    if (list.length === 0) $('group-name').textContent = 'Join or create a group';
    drawStatus();
  }

  // refusedHere is why this user can no longer post in the open group, as
  // the newest status says; '' while they can.
  const refusedHere = () => ((status && status.groups) || []).find((g) => g.id === groups.current)?.refused || '';

  function drawStatus() {
    if (status) showStatus(status, (status.groups || []).find((g) => g.id === groups.current));
    drawInput();
  }

  // drawInput enables the input in a group this user may post in; where
  // they may not, it stays off and its placeholder says so (the banner
  // says why).
  function drawInput() {
    const off = !current() || refusedHere() !== '';
    $('input').disabled = off;
    $('send').disabled = off;
    $('input').placeholder = current() && refusedHere() ? 'You can no longer post here' : 'Message';
    $('empty').textContent = refusedHere() ? 'No messages yet.' : 'No messages yet. Say hello.';
  }

  // countUnread counts, per group not open, the messages from others that
  // arrived after the newest one read there.
  async function countUnread() {
    for (const g of groups.list) {
      if (g.id === groups.current) continue;
      const read = groups.lastRead(g.id);
      if (!read) {
        groups.markRead(g.id, Date.now());
        continue;
      }
      try {
        const page = await api.history(g.id, pageSize);
        groups.setUnread(g.id, page.messages.filter((m) => m.author !== me.fingerprint && ms(m.received_at) > read).length);
      } catch {
        // The group went meanwhile; the next status drops it.
      }
    }
  }

  // onOpen runs each time the socket is live: what was read before may
  // have missed what arrived meanwhile.
  async function onOpen() {
    for (const c of convs.values()) c.stale = true;
    await refreshStatus();
    const g = current();
    if (g && convs.get(g.id)?.stale) {
      const conv = convs.get(g.id);
      const stick = nearBottom();
      await catchUp(conv).catch((err) => notice(err.message));
      drawConv(conv);
      if (stick) toBottom();
    }
    countUnread();
  }

  function onMessage(m) {
    if (!groups.byID(m.group_id)) refreshStatus(); // joined elsewhere
    alerts.see(m);
    const conv = convs.get(m.group_id);
    const isCurrent = m.group_id === groups.current;
    if (conv && conv.loaded) {
      const stick = isCurrent && nearBottom();
      conv.add(m, true);
      if (isCurrent) {
        drawConv(conv);
        if (stick) toBottom();
      }
    }
    if (m.kind !== 'text' || m.author === me.fingerprint) return;
    if (isCurrent && !document.hidden) markRead(conv);
    else groups.bump(m.group_id);
  }

  function onFrame(f) {
    switch (f.type) {
      case 'open':
        onOpen();
        break;
      case 'message':
        onMessage(f.data);
        break;
      case 'delivery':
        convs.get(f.data.group_id)?.deliver(f.data);
        break;
      case 'reactions':
        convs.get(f.data.group_id)?.setReactions(f.data.id, f.data.reactions);
        break;
    }
  }

  async function onSend(text) {
    const g = current();
    if (!g) return false;
    if (refusedHere()) {
      notice('Not sent: ' + refusedHere());
      return false;
    }
    try {
      const replyTo = talk.target(g.id);
      const res = replyTo ? await api.reply(g.id, text, replyTo) : await api.send(g.id, text);
      talk.clear();
      const m = res.message;
      // Until the node reports on it, the send's answer says where it went.
      m.delivery = m.delivery || { id: m.id, group_id: g.id, state: res.queued ? 'queued' : 'sent', peers: res.peers, relays: 0, at: '' };
      const conv = convFor(g);
      conv.add(m, false);
      drawConv(conv);
      toBottom();
      notice('');
      return true;
    } catch (err) {
      notice('Not sent: ' + err.message);
      // The node may know something of this user's standing that the last
      // status did not say yet.
      if (err.status === 403) refreshStatus();
      return false;
    }
  }

  async function onSendImage(file) {
    const g = current();
    if (!g) return false;
    if (refusedHere()) {
      notice('Not sent: ' + refusedHere());
      return false;
    }
    notice('Preparing ' + file.name + '…');
    try {
      const caption = $('input').value.trim();
      const res = await images.send(g.id, file, caption);
      const m = res.message;
      m.delivery = m.delivery || { id: m.id, group_id: g.id, state: res.queued ? 'queued' : 'sent', peers: res.peers, relays: 0, at: '' };
      const conv = convFor(g);
      conv.add(m, false);
      drawConv(conv);
      toBottom();
      if (caption) $('input').value = '';
      notice('');
      return true;
    } catch (err) {
      notice('Picture not sent: ' + err.message);
      return false;
    }
  }

  async function onDelete(group, e) {
    if (!confirm('Delete this message for everyone in ' + group.name + '?')) return;
    try {
      const res = await api.remove(group.id, e.id);
      convs.get(group.id)?.markDeleted(e.id, res.message);
    } catch (err) {
      notice('Not deleted: ' + err.message);
    }
  }

  $('older').addEventListener('click', async () => {
    const g = current();
    const conv = g && convs.get(g.id);
    if (!conv || !conv.older) return;
    const fromBottom = log.scrollHeight - log.scrollTop;
    try {
      const page = await api.history(g.id, pageSize, conv.older);
      for (const m of page.messages) conv.add(m, false);
      conv.older = page.next || '';
    } catch (err) {
      notice(err.message);
    }
    drawConv(conv);
    log.scrollTop = log.scrollHeight - fromBottom;
  });
  document.addEventListener('visibilitychange', () => {
    const g = current();
    if (g && convs.has(g.id)) markRead(convs.get(g.id));
  });

  const joined = async (g) => {
    await refreshStatus();
    await select(g.id);
  };
  $('open-join').addEventListener('click', setupJoin(api, joined));
  $('open-create').addEventListener('click', setupCreate(api, joined));
  const openInvite = setupInvite(api);
  $('open-invite').addEventListener('click', () => current() && openInvite(current()));
  $('open-alert').addEventListener('click', () => current() && alerts.send(current()));
  setupCompose($('compose'), $('input'), onSend);
  setupImages($('image-file'), $('image-pick'), (file) => onSendImage(file));

  disconnect = connect(token, onFrame, showConnection);
  await refreshStatus();
  setInterval(refreshStatus, statusEvery);
}

main();
