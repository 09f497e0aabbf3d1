// The dialogs: join by link or name (scanning a QR code where the browser
// can decode one), create a group, invite with a QR code, and an author's
// card with mute and block.

import { shortFP } from './view.js';

const $ = (id) => document.getElementById(id);

function showError(id, err) {
  const p = $(id);
  p.textContent = err ? err.message || String(err) : '';
  p.hidden = !err;
}

// Cancel buttons are plain buttons, so that Enter in a field submits the
// dialog's action, not its Cancel.
for (const b of document.querySelectorAll('dialog [data-close]')) {
  b.addEventListener('click', () => b.closest('dialog').close());
}

// runDialog opens a dialog whose form's submission runs act; the dialog
// stays open, showing the error, while act fails.
function runDialog(dialog, errorID, act) {
  const form = dialog.querySelector('form');
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    showError(errorID, null);
    try {
      await act();
      dialog.close();
    } catch (err) {
      showError(errorID, err);
    }
  };
  showError(errorID, null);
  dialog.showModal();
}

export function setupJoin(api, onJoined) {
  const input = $('join-input');
  // BarcodeDetector exists only in some browsers (Chrome on Android, on
  // ChromeOS and macOS) and only in a secure context, which a LAN address
  // over plain HTTP is not. Elsewhere the camera app is the scanner.
  if ('BarcodeDetector' in window) {
    $('scan-row').hidden = false;
    $('scan-file').addEventListener('change', async (ev) => {
      const file = ev.target.files[0];
      if (!file) return;
      showError('join-error', null);
      try {
        const found = await new window.BarcodeDetector({ formats: ['qr_code'] }).detect(await createImageBitmap(file));
        if (found.length === 0) throw new Error('no QR code found in that picture; try again closer, or paste the link');
        input.value = found[0].rawValue;
      } catch (err) {
        showError('join-error', err);
      }
      ev.target.value = '';
    });
  }
  return () => {
    input.value = '';
    runDialog($('join-dialog'), 'join-error', async () => {
      const g = await api.join(input.value.trim());
      onJoined(g);
    });
  };
}

export function setupCreate(api, onCreated) {
  return () => {
    $('create-name').value = '';
    runDialog($('create-dialog'), 'create-error', async () => {
      const kind = $('create-form').querySelector('input[name=kind]:checked').value;
      const g = await api.create($('create-name').value.trim(), kind);
      onCreated(g);
    });
  };
}

export function setupInvite(api) {
  const img = $('invite-qr');
  const link = $('invite-link');
  let url = '';
  $('invite-copy').addEventListener('click', async () => {
    link.select();
    try {
      await navigator.clipboard.writeText(link.value);
    } catch {
      // No clipboard API outside a secure context: the text is selected
      // for the person to copy.
      document.execCommand('copy');
    }
  });
  return async (group) => {
    $('invite-title').textContent = 'Invite to ' + group.name;
    link.value = '';
    img.removeAttribute('src');
    showError('invite-error', null);
    $('invite-dialog').showModal();
    try {
      // An open channel's link carries its name: scanned or pasted, it
      // joins the channel like any link.
      const channel = group.kind === 'channel';
      $('invite-what').textContent = channel
        ? `An open channel: anyone joins it with this link, or by its name (${group.name}).`
        : 'Anyone with this link can join. Scan it or send it; keep it from people who should not read along.';
      const l = (await api.invite(group.id)).link;
      link.value = l;
      const blob = await api.qr(l);
      if (url) URL.revokeObjectURL(url);
      url = URL.createObjectURL(blob);
      img.src = url;
    } catch (err) {
      showError('invite-error', err);
    }
  };
}

export function setupAuthor(api, onBlocked) {
  let current = null;
  const act = (mode) => async () => {
    showError('author-error', null);
    try {
      await api.block(current.author, mode);
      $('author-dialog').close();
      onBlocked(current.author, mode);
    } catch (err) {
      showError('author-error', err);
    }
  };
  $('author-mute').addEventListener('click', act('mute'));
  $('author-block').addEventListener('click', act('block'));
  return (m, me) => {
    current = m;
    $('author-name').textContent = (m.name || 'no name') + ' · ' + shortFP(m.author);
    $('author-fp').textContent = m.author.replace(/(.{4})/g, '$1 ').trim();
    const self = m.author === me.fingerprint;
    $('author-mute').hidden = self;
    $('author-block').hidden = self;
    showError('author-error', null);
    $('author-dialog').showModal();
  };
}
