export {
  formatOptions,
  type OptionSpec,
  type OptionTable,
  parseOptions,
  positiveNumber,
} from './cli/options.ts';
export { type RuntimeOptions, repoRoot } from './config.ts';
export { connectToRuntime, type MeshClient } from './control/client.ts';
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
export { yamlFilesUnder } from './manifests/load.ts';
export { type Runtime, startRuntime } from './runtime.ts';
