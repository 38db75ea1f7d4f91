#!/usr/bin/env node
import process from 'node:process';

// With --debug (or TASK_AGENT_DEBUG set), stack traces go through the source maps the build
// writes next to dist/ (pointing at src/); enabled before the CLI loads, so every module of
// it is mapped. Without, no map is read: start-up stays as fast as it can be.
const debugFlag = process.argv.some((argument) => argument === '--debug' || argument === '-d');
const debugVariable = /^(1|true|yes|on)$/i.test((process.env.TASK_AGENT_DEBUG ?? '').trim());
if (debugFlag || debugVariable) process.setSourceMapsEnabled(true);
await import('../dist/cli/main.js');
