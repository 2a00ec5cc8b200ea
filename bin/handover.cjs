#!/usr/bin/env node
// `npx handover`: runs the TypeScript CLI through tsx.
require('tsx/cjs');
require('../cli/main.ts');
