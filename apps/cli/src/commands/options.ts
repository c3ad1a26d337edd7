import { InvalidArgumentError } from 'commander';

/** Commander parsers: a bad value becomes commander's one-line usage error. */
export function parseInteger(flag: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${flag} needs an integer >= ${min}, got '${value}'`);
    return n;
  };
}

export function parseFraction(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!(n > 0 && n < 1)) throw new InvalidArgumentError(`${flag} needs a number between 0 and 1, got '${value}'`);
    return n;
  };
}

/**
 * A path on this machine, never a URL: `--out http://host/m` would otherwise be POSTed by tfjs's
 * http handler (and a directory named `http:` created for the rest); digits does not upload.
 */
export function parseLocalPath(flag: string) {
  return (value: string): string => {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) throw new InvalidArgumentError(`${flag} takes a path on this machine, not a URL; digits does not upload models`);
    return value;
  };
}

export const FORCE_OPTION = ['--force', 'replace a model already saved at --out (the old one stays until the new one is complete)', false] as const;

/** evaluate/inspect/predict: plots and previews replace a same-named file only when digits wrote it (model-io's writeOutputFiles), or with this. */
export const OUTPUT_FORCE_OPTION = ['--force', 'replace files of the same name that digits did not write', false] as const;

export const DEFAULT_MODEL_DIR = './models/digits-mlp';

export const MODEL_OPTION = ['--model <dir>', 'the model directory written by `digits train` or `digits import`', DEFAULT_MODEL_DIR] as const;

/** @digits/model's selectBackend checks the name; listing it here keeps tfjs out of `--help`. */
export const BACKEND_OPTION = [
  '--backend <name>',
  'backend: auto (the fastest that loads), tensorflow-gpu, webgpu, tensorflow, engine (the digits CPU engine), wasm, cpu',
  'auto',
] as const;

/** `--dataset mnist|fashion-mnist|DIR`, the tutorial's data unless told otherwise. */
export const DATASET_OPTION = ['--dataset <name|dir>', 'mnist, fashion-mnist, or a directory with the four IDX files', 'mnist'] as const;
