// What every script shares: the emulator's coordinates (EMULATOR, a JSON object set by
// tests/emulator/test_js_clients.py), and a line protocol with the test: each line a script
// writes to stdout is one JSON object; each line it reads from stdin is the test's answer.
import { createInterface } from "node:readline";

export const emulator = JSON.parse(process.env.EMULATOR);

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

export function say(event, data = {}) {
  process.stdout.write(JSON.stringify({ event, ...data }) + "\n");
}

export async function ask(event, data = {}) {
  say(event, data);
  const { value, done } = await lines.next();
  if (done) throw new Error(`the test did not answer "${event}"`);
  return JSON.parse(value);
}

// Runs the scenario named on the command line; its result is the last line, {"event": "done"}.
export async function main(scenarios) {
  const name = process.argv[2];
  if (!scenarios[name]) throw new Error(`unknown scenario ${name}`);
  try {
    say("done", { result: await scenarios[name]() });
    process.exit(0);
  } catch (error) {
    say("failed", { error: String(error?.stack || error), code: error?.errorCode || error?.code });
    process.exit(1);
  }
}
