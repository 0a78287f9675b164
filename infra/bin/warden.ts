#!/usr/bin/env node
/**
 * CDK entry point (cdk.json runs the compiled file). Context switches: see docs/operations.md
 * and infra/lib/settings.ts. Every synth runs the cdk-nag AwsSolutions checks and fails on any
 * finding that is not acknowledged with a reason.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SettingsError } from '../lib/settings.js';
import { buildWardenApp } from '../lib/app.js';

const app = new App();
try {
  buildWardenApp(app);
} catch (error) {
  if (error instanceof SettingsError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
// Any unacknowledged finding stops the synth (CDK policy validation).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
