/**
 * `npm run emulators`: the embedded emulators on their own, behind one endpoint, for running
 * `npm start` or the test suite against them with AWS_ENDPOINT_URL (as one would LocalStack).
 */
import { EnvReader, envParsers } from '@warden/core';
import { startCombinedEndpoint, startEmulators } from './emulators.js';

const reader = new EnvReader(process.env);
const port = reader.get('WARDEN_EMULATOR_PORT', envParsers.integer(0, 65535), 4566);
try {
  reader.done();
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}
const emulators = await startEmulators({ dataDir: process.env.WARDEN_DATA_DIR || undefined });
const endpoint = await startCombinedEndpoint(emulators, port);
process.stdout.write(`AWS_ENDPOINT_URL=${endpoint.url}\n`);
const stop = async () => {
  await endpoint.stop();
  await emulators.stop();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
