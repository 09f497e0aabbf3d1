// Bundles the phone page: src/main.js into ../assets/app.js and
// src/app.css (which imports the web UI's stylesheet) into
// ../assets/app.css. Fixed options, no source maps, no timestamps: the
// same sources and package-lock.json give the same bytes, which
// scripts/build-phone --check compares with the committed bundle.
import * as esbuild from 'esbuild'

const common = {
  bundle: true,
  minify: true,
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'warning'
}

const out = process.argv[2] ?? '../assets'

await esbuild.build({
  ...common,
  entryPoints: ['src/main.js'],
  outfile: `${out}/app.js`,
  format: 'esm',
  platform: 'browser',
  target: ['es2022', 'chrome100', 'safari16', 'firefox110'],
  define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' }
})

await esbuild.build({
  ...common,
  entryPoints: ['src/app.css'],
  outfile: `${out}/app.css`,
  target: ['chrome100', 'safari16', 'firefox110']
})
