// Empties dist/ before a TypeScript build, so a module removed from src/
// leaves no stale output behind to be packed.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

fs.rmSync(path.join(__dirname, '..', 'dist'), { recursive: true, force: true });
