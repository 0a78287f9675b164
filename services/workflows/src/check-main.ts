/**
 * `node services/workflows/dist/check-main.js <dir>`: the workflows folder check on its own, for
 * the image build (which carries no CLI). Prints what `warden workflows check` prints; exits 1 when
 * the folder has problems.
 */
import { describeFolder, loadWorkflowFolder } from './folder.js';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: check-main.js <workflows folder>\n');
  process.exit(2);
}
const report = describeFolder(await loadWorkflowFolder(dir));
(report.ok ? process.stdout : process.stderr).write(`${report.text}\n`);
process.exit(report.ok ? 0 : 1);
