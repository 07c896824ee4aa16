import { text } from 'node:stream/consumers';
import { MeshError } from '../errors.ts';
import { type Io, runMesh } from './commands.ts';

const io: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  stdin: () => text(process.stdin),
  // npm runs scripts from the repository root; INIT_CWD is where `npm run mesh` was typed.
  cwd: process.env.INIT_CWD ?? process.cwd(),
  env: process.env,
};

runMesh(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof MeshError) process.stderr.write(`error: ${error.message}\n`);
    else console.error(error);
    process.exitCode = 1;
  },
);
