import { DigitsError } from './errors';

/**
 * Argument checks for the public entry points of the digits libraries. TypeScript callers are
 * checked by the compiler; JavaScript callers (and `any`) that pass the wrong kind of value get a
 * BAD_ARGUMENT DigitsError naming the parameter and what was passed, not a TypeError from deep
 * inside a parser (`bytes.subarray is not a function`).
 */

/** "a string", "null", "an ArrayBuffer", "an object (Foo)": what a wrong argument was, for messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return 'a string';
  if (Array.isArray(value)) return 'an array';
  if (typeof value !== 'object') return `a ${typeof value}`;
  const name = (value as object).constructor?.name;
  if (name === undefined || name === 'Object') return 'an object';
  // "an ArrayBuffer", "an Int32Array", but "a Uint8Array" (said "you")
  return /^[AEIO]/.test(name) ? `an ${name}` : `a ${name}`;
}

/** `value` must be a Uint8Array (a Node Buffer is one); `hint` says what to do instead, e.g. for a path. */
export function assertBytes(value: unknown, what: string, hint = ''): asserts value is Uint8Array {
  if (value instanceof Uint8Array) return;
  const wrap = value instanceof ArrayBuffer ? ' (wrap it: new Uint8Array(buffer))' : hint ? ` (${hint})` : '';
  throw new DigitsError('BAD_ARGUMENT', `${what} must be a Uint8Array, got ${describeValue(value)}${wrap}`);
}

/** `value` must be a non-empty string (a path, a URL, a name). */
export function assertString(value: unknown, what: string): asserts value is string {
  if (typeof value === 'string' && value !== '') return;
  throw new DigitsError('BAD_ARGUMENT', `${what} must be a non-empty string, got ${value === '' ? 'an empty string' : describeValue(value)}`);
}

/** `value` must be one of `choices` (an option such as a format name). */
export function assertOneOf<T extends string>(value: unknown, choices: readonly T[], what: string): asserts value is T {
  if (choices.includes(value as T)) return;
  const found = typeof value === 'string' ? JSON.stringify(value) : describeValue(value);
  throw new DigitsError('BAD_ARGUMENT', `${what} must be one of ${choices.map((c) => JSON.stringify(c)).join(', ')}, got ${found}`);
}

/**
 * `value` must look like a tfjs LayersModel (checked by shape, not class, so that a second copy
 * of tfjs in node_modules still passes).
 */
export function assertLayersModel(value: unknown, what: string): void {
  const model = value as { layers?: unknown; predict?: unknown; getConfig?: unknown } | null;
  if (model != null && typeof model === 'object' && Array.isArray(model.layers) && typeof model.predict === 'function' && typeof model.getConfig === 'function') return;
  throw new DigitsError('BAD_ARGUMENT', `${what} must be a tfjs LayersModel (tf.sequential(), tf.model() or a loaded model), got ${describeValue(value)}`);
}
