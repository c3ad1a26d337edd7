import { isDigitsError } from '@digits/mnist-data';

const box = () => document.querySelector<HTMLDivElement>('#message')!;

/** One message line at the top of the page: what happened, or what went wrong and with which file. */
export function showMessage(text: string, kind: 'info' | 'error' = 'info'): void {
  const el = box();
  el.textContent = text;
  el.classList.toggle('error', kind === 'error');
  el.dataset.kind = kind;
  el.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  el.hidden = false;
}

export function showError(error: unknown, context?: string): void {
  const text = isDigitsError(error)
    ? error.message
    : error instanceof Error
      ? error.message
      : String(error);
  showMessage(context ? `${context}: ${text}` : text, 'error');
  if (!isDigitsError(error)) console.error(error);
}

export function clearMessage(): void {
  box().hidden = true;
}
