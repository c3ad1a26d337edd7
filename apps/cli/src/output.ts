/**
 * Where a command's results go: human-readable lines on stdout, or with --json one JSON document
 * on stdout and nothing else there (progress and notes then go to stderr only).
 */
export class Output {
  constructor(readonly json: boolean) {}

  /** A line for people; suppressed under --json. */
  line(text = ''): void {
    if (!this.json) process.stdout.write(`${text}\n`);
  }

  /** A side note (e.g. which backend runs) that stays off stdout under --json. */
  note(text: string): void {
    (this.json ? process.stderr : process.stdout).write(`${text}\n`);
  }

  /** The machine-readable result; printed only under --json. */
  result(value: unknown): void {
    if (this.json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }
}

export function formatNumber(value: number | undefined, digits = 4): string {
  return value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits);
}
