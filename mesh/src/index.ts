export { type RuntimeOptions, repoRoot } from './config.ts';
export { makeReachableByPostgres } from './database/embedded.ts';
export {
  DatabaseError,
  ManifestError,
  MeshError,
  PortInUseError,
  StartupAbortedError,
  StartupTimeoutError,
  TopologyError,
  UsageError,
  WorkloadError,
} from './errors.ts';
export { createLogger, type Logger, type LogLevel, silentLogger } from './log.ts';
export { type Runtime, startRuntime } from './runtime.ts';
