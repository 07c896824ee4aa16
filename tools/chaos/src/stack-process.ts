// The runtime in a process of its own, so that a crash of the data path (the malformed-request
// probe's purpose) is something the chaos run measures rather than dies of. Started by stack.ts
// with an IPC channel: it answers `pods` and `apply` and stops on `stop` or when the channel closes.
import { type Runtime, silentLogger, startRuntime } from '@music/mesh';
import type { ChildReply, ChildRequest } from './stack.ts';

const send = (message: ChildReply) => process.send?.(message);

let runtime: Runtime | undefined;
let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await runtime?.stop();
  process.exit(0);
}
process.on('disconnect', () => void stop());

process.on('message', (message: ChildRequest) => {
  if (message.op === 'stop') return void stop();
  if (!runtime) return;
  if (message.op === 'pods') return void send({ id: message.id, op: 'pods', pods: runtime.pods() });
  runtime.apply(message.file, message.yaml).then(
    () => send({ id: message.id, op: 'applied' }),
    (error: Error) => send({ id: message.id, op: 'failed', message: error.message }),
  );
});

runtime = await startRuntime({
  port: 0,
  adminPort: 0,
  statsPort: 0,
  dataDir: process.argv[2] as string,
  log: silentLogger,
  logLevel: 'warn',
});
send({
  op: 'up',
  url: runtime.url,
  adminUrl: runtime.adminUrl,
  databaseDirectory: runtime.databaseDirectory,
});
