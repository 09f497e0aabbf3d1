// Talking to the node: the token from the link, the local API through the
// web UI's /api proxy, and the event socket.

const tokenKey = 'starling.token';

// takeToken reads the token from the link's fragment (#t=TOKEN), keeps it
// for this tab only and takes it out of the address bar, so that it is not
// bookmarked, shared or shown on screen.
export function takeToken() {
  const m = /(?:^#|&)t=([0-9a-fA-F]{32,128})(?:&|$)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(tokenKey, m[1]);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(tokenKey) || '';
}

export function forgetToken() {
  sessionStorage.removeItem(tokenKey);
}

export class APIError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// makeAPI returns the API calls the page uses. onUnauthorized runs when the
// node refuses the token (it restarted with a new one).
export function makeAPI(token, onUnauthorized) {
  async function request(url, method, body) {
    const init = { method, cache: 'no-store', headers: { Authorization: 'Bearer ' + token } };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let resp;
    try {
      resp = await fetch(url, init);
    } catch (e) {
      throw new APIError(0, 'the node does not answer (' + e.message + '); is `starling up` still running?');
    }
    if (resp.status === 401) onUnauthorized();
    return resp;
  }

  async function call(method, path, body) {
    const resp = await request('/api/v1' + path, method, body);
    let data = null;
    try {
      data = await resp.json();
    } catch {
      // An answer that is not JSON is reported by its status below.
    }
    if (!resp.ok) {
      throw new APIError(resp.status, (data && data.error) || resp.status + ' ' + resp.statusText);
    }
    return data;
  }

  const g = (ref) => encodeURIComponent(ref);
  return {
    id: () => call('GET', '/id'),
    status: () => call('GET', '/status'),
    groups: () => call('GET', '/groups'),
    history(ref, limit, cursor) {
      const q = new URLSearchParams({ limit: String(limit), newest: 'true' });
      if (cursor) q.set('cursor', cursor);
      return call('GET', `/groups/${g(ref)}/messages?${q}`);
    },
    send: (ref, text) => call('POST', `/groups/${g(ref)}/messages`, { text }),
    reply: (ref, text, reply) => call('POST', `/groups/${g(ref)}/messages`, { text, reply }),
    react: (ref, id, emoji, remove) => call('POST', `/groups/${g(ref)}/reactions`, { id, emoji, remove }),
    people: (ref) => call('GET', `/groups/${g(ref)}/people`),
    sendAlert: (ref, text) => call('POST', `/groups/${g(ref)}/alerts`, { text }),
    alerts: (ref) => call('GET', `/groups/${g(ref)}/alerts`),
    ackAlert: (ref, id) => call('POST', `/groups/${g(ref)}/alerts/${encodeURIComponent(id)}/ack`),
    join: (name) => call('POST', '/groups', { name }),
    create: (name, kind) => call('POST', '/create', { name, kind }),
    invite: (ref) => call('POST', `/groups/${g(ref)}/invite`, { relays: [] }),
    remove: (ref, id) => call('POST', `/groups/${g(ref)}/delete`, { id }),
    block: (fingerprint, mode) => call('POST', '/blocks', { fingerprint, mode }),
    // qr returns an image of text as a QR code, as a blob.
    async qr(text) {
      const resp = await request('/ui/v1/qr', 'POST', { text });
      if (!resp.ok) {
        let msg = resp.status + ' ' + resp.statusText;
        try {
          msg = (await resp.json()).error || msg;
        } catch {
          // keep the status
        }
        throw new APIError(resp.status, msg);
      }
      return resp.blob();
    },
  };
}

// connect keeps an event socket open, reconnecting with backoff, until
// the function it returns is called. onFrame gets each frame ({type,
// data}); onState 'connecting', 'live' (after the "open" frame: every later
// event arrives) or 'offline'.
export function connect(token, onFrame, onState) {
  let delay = 500;
  let stopped = false;
  let ws = null;
  function open() {
    if (stopped) return;
    onState('connecting');
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    ws = new WebSocket(`${scheme}//${location.host}/ws`, ['starling.v1', 'starling.token.' + token]);
    ws.onmessage = (ev) => {
      let f;
      try {
        f = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (f.type === 'open') {
        delay = 500;
        onState('live');
      }
      onFrame(f);
    };
    ws.onclose = () => {
      onState('offline');
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 10000);
    };
  }
  open();
  return () => {
    stopped = true;
    ws?.close();
  };
}
