/**
 * Reports what a workflow can see of its environment: the variable names, and which AWS access
 * key id it would use (an identifier, not the secret). Shows that runners get an allow-listed
 * environment and the workflow credentials, never the worker's own.
 */
export default {
  id: 'env-report',
  name: 'Environment report',
  timeoutSeconds: 30,
  run() {
    return {
      names: Object.keys(process.env).sort(),
      awsAccessKeyId: process.env.AWS_ACCESS_KEY_ID ?? null,
    };
  },
};
