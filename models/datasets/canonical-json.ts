/** The canonical JSON of datasets is the one of config hashes: one definition for both. */
export { canonicalJson } from '../training/config-hash.js';
