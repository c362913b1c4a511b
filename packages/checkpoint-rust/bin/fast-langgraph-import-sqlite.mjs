#!/usr/bin/env node
// A file of its own rather than the built CLI, so that installing the workspace can link the bin
// before anything is built.
import "../dist/import-sqlite-cli.js";
