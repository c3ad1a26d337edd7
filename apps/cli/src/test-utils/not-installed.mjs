// Preloaded (--import) into the CLI child by `runDigits(..., { notInstalled: [...] })`: the packages
// named in $DIGITS_TEST_NOT_INSTALLED (comma-separated) are resolved from an empty directory, so
// Node's own resolver fails for them with its own ERR_MODULE_NOT_FOUND, exactly as in a project that
// never installed them. The workspace has the optional GPU packages installed for its own tests;
// this is how a CLI test sees the CLI as a user without them does.
import { register } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const hidden = (process.env.DIGITS_TEST_NOT_INSTALLED ?? '').split(',').filter(Boolean);
const emptyParent = pathToFileURL(join(tmpdir(), 'digits-nothing-installed', 'index.mjs')).href;
const hooks = `
const hidden = ${JSON.stringify(hidden)};
export async function resolve(specifier, context, nextResolve) {
  return nextResolve(specifier, hidden.includes(specifier) ? { ...context, parentURL: ${JSON.stringify(emptyParent)} } : context);
}
`;
if (hidden.length > 0) register(`data:text/javascript,${encodeURIComponent(hooks)}`);
