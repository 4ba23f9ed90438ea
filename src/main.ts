import { runCli } from "./cli/cli";

process.exitCode = await runCli(process.argv.slice(2));
