// Organiser alerts: an alert (a message of kind "alert", from any joined
// group) is pinned in a red banner above the conversation until dismissed,
// with a short beep (WebAudio) and a vibration where the browser allows
// them, and acknowledged once (this device displayed it), so that its
// organiser's reach counts it. Dismissed alerts stay dismissed in this
// browser (localStorage). On an alert of this user's, the banner shows its
// reach as it grows. Alerts older than an hour when the page first sees
// them (history) are not pinned.

import { el, clock, shortFP } from './view.js';

const pinAge = 60 * 60 * 1000;
const reachEvery = 2000;
const goneKey = 'starling.alerts.dismissed';
const maxGone = 200;

function loadGone() {
  try {
    return new Set(JSON.parse(localStorage.getItem(goneKey) || '[]'));
  } catch {
    return new Set();
  }
}

// alarm beeps and vibrates where the browser lets a page; it returns what
// happened, for the banner's data attributes.
function alarm() {
  let vibrate = 'unsupported';
  try {
    if (typeof navigator.vibrate === 'function') vibrate = navigator.vibrate([250, 120, 250]) ? 'ok' : 'refused';
  } catch {
    vibrate = 'refused';
  }
  let beep = 'unsupported';
  try {
    const AC = window.AudioContext || window.webkitAudioContext;
    if (AC) {
      const ctx = new AC();
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'square';
      osc.frequency.value = 880;
      gain.gain.value = 0.15;
      osc.connect(gain).connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.35);
      osc.onended = () => ctx.close();
      // Without a gesture on the page first, browsers keep the context
      // suspended: no sound, and that is all.
      beep = ctx.state === 'running' ? 'played' : 'blocked';
    }
  } catch {
    beep = 'blocked';
  }
  return { vibrate, beep };
}

export class Alerts {
  // api: the page's API; me: this user's identity; groupName(id) names a
  // group; notice(text) shows a notice.
  constructor(api, me, groupName, notice) {
    this.api = api;
    this.me = me;
    this.groupName = groupName;
    this.notice = notice;
    this.seen = new Set();
    this.gone = loadGone();
    this.pinned = []; // oldest first
    this.timer = 0;
    this.banner = document.getElementById('alert-banner');
    document.getElementById('alert-dismiss').addEventListener('click', () => this.dismiss());
  }

  // see pins m if it is an alert not seen before, not dismissed and recent.
  see(m) {
    if (m.kind !== 'alert' || this.seen.has(m.id)) return;
    this.seen.add(m.id);
    if (this.gone.has(m.id) || Date.now() - Date.parse(m.sent_at) > pinAge) return;
    this.pinned.push(m);
    this.draw();
    const what = alarm();
    this.banner.dataset.vibrate = what.vibrate;
    this.banner.dataset.beep = what.beep;
    this.api.ackAlert(m.group_id, m.id).catch(() => {
      this.seen.delete(m.id); // the next sight tries again
    });
  }

  dismiss() {
    const m = this.pinned.pop();
    if (!m) return;
    this.gone.add(m.id);
    localStorage.setItem(goneKey, JSON.stringify([...this.gone].slice(-maxGone)));
    this.draw();
  }

  draw() {
    clearTimeout(this.timer);
    const m = this.pinned[this.pinned.length - 1];
    this.banner.hidden = !m;
    if (!m) return;
    const who = m.name || shortFP(m.author);
    document.getElementById('alert-head').textContent = `Alert in ${this.groupName(m.group_id)} from ${who} at ${clock(m.sent_at)}`;
    document.getElementById('alert-text').textContent = m.text;
    const more = this.pinned.length - 1;
    document.getElementById('alert-more').textContent = more > 0 ? `${more} more alert${more === 1 ? '' : 's'} pinned` : '';
    const reach = document.getElementById('alert-reach');
    reach.textContent = '';
    if (m.author === this.me.fingerprint) this.pollReach(m);
  }

  // pollReach shows the reach of this user's own alert while it is pinned.
  async pollReach(m) {
    try {
      const list = await this.api.alerts(m.group_id);
      const a = list.find((x) => x.id === m.id);
      if (a && this.pinned[this.pinned.length - 1] === m) {
        const devices = a.devices === 1 ? 'device' : 'devices';
        document.getElementById('alert-reach').textContent =
          `reached ${a.reached.toLocaleString('en')} of the ${a.devices.toLocaleString('en')} ${devices} seen in this group in the last hour`;
      }
    } catch {
      // The next round tries again.
    }
    if (this.pinned[this.pinned.length - 1] === m) this.timer = setTimeout(() => this.pollReach(m), reachEvery);
  }

  // send sends an alert to group g after asking for its text.
  async send(g) {
    const text = prompt(`Alert everyone in ${g.name} (only the owner and admins may):`);
    if (!text || !text.trim()) return;
    try {
      await this.api.sendAlert(g.id, text);
      this.notice('');
    } catch (err) {
      this.notice('Alert not sent: ' + err.message);
    }
  }
}

// alertNote is the line an alert leaves in its conversation.
export function alertNote(m) {
  return el('p', { className: 'note alert-note', textContent: `⚠ ${m.name || shortFP(m.author)} sent an alert: ${m.text}` });
}
