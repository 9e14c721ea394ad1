// Bundles src/ into dist/: app.js and app.css minified by esbuild, index.html copied. The
// output depends only on the sources and the pinned esbuild, so CI can rebuild and diff it.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';

mkdirSync('dist', { recursive: true });
await build({
  entryPoints: { app: 'src/main.ts' },
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2022',
  legalComments: 'none',
  charset: 'utf8',
  outdir: 'dist',
  logLevel: 'warning',
});
await build({
  entryPoints: { app: 'src/app.css' },
  bundle: true,
  minify: true,
  legalComments: 'none',
  charset: 'utf8',
  outdir: 'dist',
  logLevel: 'warning',
});
copyFileSync('src/index.html', 'dist/index.html');
for (const f of ['index.html', 'app.js', 'app.css']) console.log(`dist/${f} ${statSync(`dist/${f}`).size} bytes`);
