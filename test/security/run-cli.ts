/** The CLI in process, built exactly as the bin builds it: one helper for every CLI test (test/cli/run-cli.ts). */
export { runCliInProcess as runCli, type CliResult } from '../cli/run-cli';
