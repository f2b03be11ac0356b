'use strict';
// Minifies src/beacon.js with terser into dist/beacon.min.js (committed, and
// compiled into deckpulse-server). `node build.js --check` fails if the
// committed file is not what the source gives now. Prints the gzip size.
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { minify } = require('terser');

const LIMIT = 3072; // bytes, minified and gzipped

async function build() {
  const src = fs.readFileSync(path.join(__dirname, 'src', 'beacon.js'), 'utf8');
  const out = await minify(src, {
    compress: { passes: 2 },
    mangle: true,
    format: { comments: /^!/ }
  });
  return out.code + '\n';
}

async function main() {
  const code = await build();
  const gz = zlib.gzipSync(code, { level: 9 }).length;
  const dist = path.join(__dirname, 'dist', 'beacon.min.js');
  if (process.argv.includes('--check')) {
    const have = fs.existsSync(dist) ? fs.readFileSync(dist, 'utf8') : '';
    if (have !== code) {
      console.error('dist/beacon.min.js is stale: run npm run build in beacon/');
      process.exit(1);
    }
  } else {
    fs.mkdirSync(path.dirname(dist), { recursive: true });
    fs.writeFileSync(dist, code);
  }
  console.log(`beacon.min.js: ${code.length} bytes, ${gz} bytes gzipped (limit ${LIMIT})`);
  if (gz >= LIMIT) process.exit(1);
}

module.exports = { build, LIMIT };
if (require.main === module) main();
