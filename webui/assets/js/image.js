// Pictures: the picker beside the input (upload to the node, which strips
// metadata, downscales and re-encodes), and a picture's place in the
// conversation: its preview at once, then the picture itself, fetched
// with the token and shown from a blob: URL (the API serves it with its
// manifest's type, nosniff and a sandboxing policy; nothing in it runs).

const el = (tag, props, ...kids) => {
  const n = Object.assign(document.createElement(tag), props || {});
  n.append(...kids);
  return n;
};

function kb(n) {
  return n < 1000 ? n + ' B' : Math.round(n / 1000) + ' KB';
}

// setupImages wires the picker. send(file) uploads it to the current group
// and returns whether it went out.
export function setupImages(picker, button, send) {
  button.addEventListener('click', () => picker.click());
  picker.addEventListener('change', async () => {
    const file = picker.files && picker.files[0];
    picker.value = '';
    if (!file) return;
    button.disabled = true;
    try {
      await send(file);
    } finally {
      button.disabled = false;
    }
  });
}

// makeImageAPI returns the picture calls, with the token the page holds.
export function makeImageAPI(token) {
  const auth = { Authorization: 'Bearer ' + token };
  async function failure(resp) {
    try {
      return (await resp.json()).error || resp.status + ' ' + resp.statusText;
    } catch {
      return resp.status + ' ' + resp.statusText;
    }
  }
  return {
    async send(group, file, caption) {
      const q = caption ? '?caption=' + encodeURIComponent(caption) : '';
      const resp = await fetch(`/api/v1/groups/${encodeURIComponent(group)}/images${q}`, {
        method: 'POST', cache: 'no-store', headers: { ...auth, 'Content-Type': 'application/octet-stream' }, body: file,
      });
      if (!resp.ok) throw new Error(await failure(resp));
      return resp.json();
    },
    async blob(id, fetchMissing) {
      const resp = await fetch(`/api/v1/images/${encodeURIComponent(id)}${fetchMissing ? '?fetch=1' : ''}`, { headers: auth });
      if (!resp.ok) throw new Error(await failure(resp));
      const type = resp.headers.get('Content-Type');
      if (type !== 'image/jpeg' && type !== 'image/png') throw new Error('not a picture (' + type + ')');
      return resp.blob();
    },
  };
}

// imageNode is a picture's place in a message: the preview (blurred, at
// the picture's aspect ratio, so nothing jumps when it loads), then the
// picture, or a button to fetch it in large groups where the node does
// not fetch every picture at once.
export function imageNode(images, m) {
  const im = m.image;
  const box = el('figure', { className: 'picture' });
  box.style.aspectRatio = `${im.width} / ${im.height}`;
  box.style.maxWidth = `min(100%, ${im.width}px)`;
  if (im.preview && im.preview.startsWith('data:image/jpeg;base64,')) {
    box.append(el('img', { className: 'preview', src: im.preview, alt: '' }));
  }
  const label = `${im.width}×${im.height} ${im.format.toUpperCase()}, ${kb(im.size)}`;
  const caption = el('figcaption', { textContent: label });
  if (im.broken) {
    caption.textContent = 'this picture is damaged (its sender\u2019s app is faulty)';
    box.append(caption);
    return box;
  }
  // show loads the picture; fetchMissing asks the node to fetch what it
  // lacks first; quiet leaves the page as it is when it is not held.
  const show = async (fetchMissing, quiet) => {
    if (!quiet) caption.textContent = fetchMissing ? 'fetching ' + label + '…' : label;
    try {
      const url = URL.createObjectURL(await images.blob(m.id, fetchMissing));
      const img = el('img', { className: 'full', src: url, alt: m.text || 'picture' });
      const open = el('a', { href: url, target: '_blank', rel: 'noopener', title: 'Open full size' }, img);
      box.querySelector('.full')?.remove();
      box.querySelector('button')?.remove();
      box.prepend(open);
      const save = el('a', { href: url, download: `starling-${im.digest.slice(0, 8)}.${im.format === 'png' ? 'png' : 'jpg'}`, textContent: 'Save' });
      caption.replaceChildren(label + ' \u00b7 ', save);
    } catch (err) {
      if (quiet) return;
      caption.textContent = label + ' \u00b7 ' + err.message;
      const retry = el('button', { type: 'button', textContent: 'Load picture (' + kb(im.size) + ')' });
      retry.addEventListener('click', () => show(true));
      box.querySelector('button')?.remove();
      box.append(retry);
    }
  };
  box.append(caption);
  if (im.held >= im.chunks) {
    show(false);
  } else {
    const load = el('button', { type: 'button', textContent: 'Load picture (' + kb(im.size) + ')' });
    load.addEventListener('click', () => show(true));
    box.append(load);
    // The node may be fetching it already (small groups): look again soon,
    // without asking it to fetch (in large groups that is the user's call).
    for (const after of [1500, 5000, 15000]) {
      setTimeout(() => {
        if (box.isConnected && box.querySelector('button')) show(false, true);
      }, after);
    }
  }
  return box;
}
