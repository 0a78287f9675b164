/**
 * `npm run emulators`: the embedded emulators on their own, behind one endpoint, for running
 * `npm start` or the test suite against them with AWS_ENDPOINT_URL (as one would LocalStack).
 */
import { startCombinedEndpoint, startEmulators } from './emulators.js';

const port = Number(process.env.WARDEN_EMULATOR_PORT ?? 4566);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(
    `WARDEN_EMULATOR_PORT=${JSON.stringify(process.env.WARDEN_EMULATOR_PORT)} is not valid: expected a port from 0 to 65535\n`,
  );
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
