// Preloaded into the CLI child by `runDigits(..., { measure: true })`: on exit it writes the process's
// peak resident memory (kB, from process.resourceUsage().maxRSS) to $DIGITS_TEST_RSS_FILE, so the
// hostile-input tests can assert a bound on what a small file may cost.
const { writeFileSync } = require('node:fs');
process.on('exit', () => {
  const file = process.env.DIGITS_TEST_RSS_FILE;
  if (file) writeFileSync(file, String(process.resourceUsage().maxRSS));
});
