#!/usr/bin/env node
// The `warden` command (an npm bin of @warden/client): the compiled CLI in ../dist.
import { main } from '../dist/cli.js';

process.exitCode = await main();
