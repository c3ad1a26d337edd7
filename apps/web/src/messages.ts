import { isDigitsError } from '@digits/mnist-data';

/** Info messages go away on their own after this long; errors stay until dismissed or replaced. */
const INFO_MS = 6000;

export type MessageKind = 'info' | 'error';

export interface MessageOptions {
  kind?: MessageKind;
  /**
   * The control the visitor used (a button, a form, the drop target): the message appears just
   * below its row, inside its panel, floating over what follows, so nothing moves (the pad least of
   * all). Without one, the page-wide line under the header.
   */
  at?: Element | null | undefined;
}

/** The message element of a panel (made on first use), or the page-wide one. */
function slotFor(at: Element | null | undefined): { box: HTMLElement; row: Element | null } {
  const panel = at?.closest('.panel');
  if (!at || !panel) return { box: document.querySelector<HTMLElement>('#message')!, row: null };
  let box = panel.querySelector<HTMLElement>(':scope > .message');
  if (!box) {
    box = document.createElement('div');
    box.className = 'message floating';
    box.dataset.testid = 'message';
    box.hidden = true;
    panel.append(box);
  }
  const row = at.closest('.row, form, .pad-wrap') ?? at;
  return { box, row: panel.contains(row) ? row : null };
}

const timers = new WeakMap<HTMLElement, number>();

/** Shows one message where the action was taken, with a button to dismiss it. */
export function showMessage(text: string, options: MessageOptions = {}): HTMLElement {
  const kind = options.kind ?? 'info';
  const { box, row } = slotFor(options.at);
  const panel = box.parentElement;
  // a slot shows one message at a time: the page-wide one and the panel's own are never both up
  for (const other of document.querySelectorAll<HTMLElement>('.message')) if (other !== box) other.hidden = true;
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'dismiss';
  close.setAttribute('aria-label', 'Dismiss this message');
  close.textContent = '×';
  close.addEventListener('click', () => hide(box));
  const line = document.createElement('span');
  line.textContent = text;
  box.replaceChildren(line, close);
  box.classList.toggle('error', kind === 'error');
  box.dataset.kind = kind;
  box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  if (row && panel && box.classList.contains('floating')) {
    const top = (row as HTMLElement).offsetTop + (row as HTMLElement).offsetHeight + 4;
    box.style.top = `${top}px`;
  }
  box.hidden = false;
  clearTimeout(timers.get(box));
  if (kind === 'info') timers.set(box, window.setTimeout(() => hide(box), INFO_MS));
  if (options.at) box.scrollIntoView({ block: 'nearest' });
  return box;
}

function hide(box: HTMLElement): void {
  clearTimeout(timers.get(box));
  box.hidden = true;
}

/**
 * Shows an error: `context` says what failed ("Could not load"), `subject` what it was about (file
 * names, a URL). A DigitsError that names its file already says which, so the subject is left out
 * and every name appears once.
 */
export function showError(error: unknown, context?: string, options: Omit<MessageOptions, 'kind'> & { subject?: string } = {}): void {
  const text = isDigitsError(error) ? error.message : error instanceof Error ? error.message : String(error);
  const named = isDigitsError(error) && error.file !== undefined;
  const what = context && options.subject && !named ? `${context} ${options.subject}` : context;
  showMessage(what ? `${what}: ${text}` : text, { at: options.at, kind: 'error' });
  if (!isDigitsError(error)) console.error(error);
}

/** Hides every message (or the one of the panel `at` is in). */
export function clearMessage(at?: Element | null): void {
  if (at) {
    const box = at.closest('.panel')?.querySelector<HTMLElement>(':scope > .message');
    if (box) hide(box);
    return;
  }
  for (const box of document.querySelectorAll<HTMLElement>('.message')) hide(box);
}
