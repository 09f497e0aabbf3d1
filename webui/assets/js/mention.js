// Mentions: the rules of the @name picker, the same as the terminal chat's
// (package api's mention.go). A mention is "@name" in a text; the node
// marks the texts that mention this user (mentions_you).

// mentionPrefix returns what follows the last "@" that starts a word in
// input, up to its end: the name being typed, or null when none is (no
// "@", an address such as a@b, or a finished mention that ends in a space).
export function mentionPrefix(input) {
  const at = input.lastIndexOf('@');
  if (at < 0) return null;
  if (at > 0 && !/\s/.test(input[at - 1])) return null;
  const prefix = input.slice(at + 1);
  if (/[\n@]/.test(prefix) || /\s$/.test(prefix)) return null;
  return prefix;
}

const lower = (s) => s.toLowerCase();

// matchNames returns the distinct names (without case) that start with
// prefix (without case), sorted; a name equal to prefix is the only match,
// so that "@al" still picks "al" beside "alice".
export function matchNames(names, prefix) {
  const p = lower(prefix);
  const seen = new Set();
  const out = [];
  for (const n of names) {
    const l = lower(n || '');
    if (!n || seen.has(l) || !l.startsWith(p)) continue;
    if (l === p) return [n];
    seen.add(l);
    out.push(n);
  }
  return out.sort((a, b) => (lower(a) < lower(b) ? -1 : lower(a) > lower(b) ? 1 : 0));
}

// completeMention completes the "@prefix" at the end of input with the one
// name that starts with it and a space: {text}. When none or several do,
// {text: input, error} says so, naming the candidates.
export function completeMention(input, names) {
  const prefix = mentionPrefix(input);
  if (prefix === null) return { text: input, error: 'type @ and the start of a name' };
  const m = matchNames(names, prefix);
  if (m.length === 1) return { text: input.slice(0, input.length - prefix.length) + m[0] + ' ' };
  if (m.length === 0) return { text: input, error: `nobody here is called @${prefix}…` };
  const show = 5;
  let list = m.slice(0, show).join(', ');
  if (m.length > show) list += ` and ${m.length - show} more`;
  return { text: input, error: `@${prefix} could be ${list}; type more of the name` };
}
