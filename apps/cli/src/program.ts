import { Command } from 'commander';
import { registerEvaluate } from './commands/evaluate';
import { registerExport } from './commands/export';
import { registerImport } from './commands/import';
import { registerInspect } from './commands/inspect';
import { registerPredict } from './commands/predict';
import { registerTrain } from './commands/train';
import { reportError } from './errors';
import { version } from '../package.json';


export function createProgram(): Command {
  const program = new Command('digits')
    .description('The Keras MNIST tutorial from the terminal: inspect, train, plot, evaluate, predict, import and export.')
    .version(version)
    .option('--debug', 'print stack traces of failures')
    .exitOverride()
    // one line per error: commander puts its "(Did you mean ...?)" on a line of its own
    .configureOutput({ outputError: (message, write) => write(`digits: ${message.trim().replace(/\s*\n\s*/g, ' ')}\n`) })
    // tfjs's console notices (its "install tfjs-node" banner, which cannot be installed, tfjs#8742)
    // are for developers: --debug keeps them
    .hook('preAction', async (command) => {
      if (!command.opts()['debug']) (await import('@tensorflow/tfjs')).enableProdMode();
      // this process is ours: the engine's fused multiply-add build where only a flag keeps it off (Node 20)
      (await import('@digits/model/engine')).enableRelaxedSimd();
    });
  for (const register of [registerInspect, registerTrain, registerEvaluate, registerPredict, registerExport, registerImport]) {
    register(program);
  }
  return program;
}

/** Runs one `digits` invocation and returns its exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    await createProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    return reportError(error, debug);
  }
}
