// The `digits` command. Each subcommand lives in src/commands/ and only composes the libraries.
console.log('digits: commands arrive with the CLI issue');
