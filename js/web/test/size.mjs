// Bundle cost of @e2e-otel/web: a minimal app importing initE2EWeb vs an empty one, both
// bundled by esbuild for production (minified), gzip -9. `npm run size` prints the table.
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const MINIMAL = `import { initE2EWeb } from "./dist/index.js";
initE2EWeb({ serviceName: "shop-web", collectorUrl: "https://collector.example.com", apiUrls: ["https://api.example.com"] });`;

async function bundle(contents) {
  const result = await esbuild.build({
    stdin: { contents, resolveDir: ROOT, loader: "js" },
    bundle: true,
    minify: true,
    write: false,
    metafile: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "error",
  });
  const bytes = result.outputFiles[0].contents;
  const byPackage = {};
  for (const [path, input] of Object.entries(Object.values(result.metafile.outputs)[0].inputs)) {
    const pkg = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? "@e2e-otel/web (dist)";
    byPackage[pkg] = (byPackage[pkg] ?? 0) + input.bytesInOutput;
  }
  return { min: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, byPackage };
}

/** { empty, minimal, cost } in bytes: cost = minimal - empty, gzipped. */
export async function measure() {
  const empty = await bundle("export {};");
  const minimal = await bundle(MINIMAL);
  return { empty, minimal, costGzip: minimal.gzip - empty.gzip, costMin: minimal.min - empty.min };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { empty, minimal, costGzip, costMin } = await measure();
  console.log(`empty bundle:    ${empty.min} B min, ${empty.gzip} B gzip`);
  console.log(`initE2EWeb only: ${minimal.min} B min, ${minimal.gzip} B gzip`);
  console.log(`cost:            ${(costMin / 1024).toFixed(1)} kB min, ${(costGzip / 1024).toFixed(1)} kB min+gzip`);
  console.log("minified bytes by package:");
  for (const [pkg, n] of Object.entries(minimal.byPackage).sort((a, b) => b[1] - a[1])) {
    console.log(`  ${pkg.padEnd(48)} ${(n / 1024).toFixed(1)} kB`);
  }
}
