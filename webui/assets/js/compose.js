// The message input: Enter sends, Shift+Enter starts a new line, and the up
// and down arrows walk back through what this tab sent (as in a shell),
// keeping the draft.

const historyKey = 'starling.sent';
const maxHistory = 50;

export function setupCompose(form, input, onSend) {
  let sent = [];
  try {
    sent = JSON.parse(sessionStorage.getItem(historyKey) || '[]');
  } catch {
    sent = [];
  }
  let pos = sent.length; // sent.length: the draft
  let draft = '';

  const fit = () => {
    input.style.height = 'auto';
    input.style.height = input.scrollHeight + 2 + 'px';
  };
  const show = (text) => {
    input.value = text;
    fit();
    input.setSelectionRange(text.length, text.length);
  };

  input.addEventListener('input', () => {
    fit();
    pos = sent.length;
  });
  input.addEventListener('keydown', (ev) => {
    if (ev.isComposing) return;
    if (ev.key === 'Enter' && !ev.shiftKey) {
      ev.preventDefault();
      form.requestSubmit();
      return;
    }
    const atStart = input.selectionStart === 0 && input.selectionEnd === 0;
    const atEnd = input.selectionStart === input.value.length;
    if (ev.key === 'ArrowUp' && (atStart || input.value === '' || pos < sent.length) && pos > 0) {
      ev.preventDefault();
      if (pos === sent.length) draft = input.value;
      show(sent[--pos]);
    } else if (ev.key === 'ArrowDown' && pos < sent.length && atEnd) {
      ev.preventDefault();
      pos++;
      show(pos === sent.length ? draft : sent[pos]);
    }
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const text = input.value;
    if (text.trim() === '') return;
    if (!(await onSend(text))) return;
    if (sent[sent.length - 1] !== text) sent.push(text);
    sent = sent.slice(-maxHistory);
    sessionStorage.setItem(historyKey, JSON.stringify(sent));
    pos = sent.length;
    draft = '';
    show('');
  });
}
