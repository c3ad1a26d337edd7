// The `digits` command. Each subcommand lives in src/commands/ and only composes the libraries.
import { runCli } from './program';

process.exitCode = await runCli(process.argv);
