// `node --import <this file> ...`: every file the process loads (static and dynamic imports
// alike) is appended, one URL a line, to the file CMG_LOAD_LOG names.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
