// Names the browser bundle's files by their content and compresses them once, at the highest settings:
//   node scripts/assets.mjs <pkg dir> <name> <hash file>
// For each of <name>.js, <name>.wasm and <name>.css in <pkg dir> (those there) it writes <name>.<hash>.<ext> with .br and .gz
// beside it, removes the previous build's hashed files, and writes the hashes to <hash file> in the format Leptos
// reads ("js: <hash>", one line per kind). The server sends the hashed files with a year's caching
// (leptos_sessions::assets); the plain names stay for what links to them without knowing the hash.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const [dir, name, hashFile] = process.argv.slice(2);
if (!dir || !name || !hashFile) {
  console.error("usage: node scripts/assets.mjs <pkg dir> <name> <hash file>");
  process.exit(2);
}
const kinds = ["js", "wasm", "css"];
const hashedName = new RegExp(`^${name}\\.[0-9a-f]{16}\\.(${kinds.join("|")})(\\.br|\\.gz)?$`);
for (const file of readdirSync(dir)) {
  if (hashedName.test(file)) rmSync(join(dir, file));
}
const lines = [];
for (const kind of kinds) {
  if (!existsSync(join(dir, `${name}.${kind}`))) continue;
  const bytes = readFileSync(join(dir, `${name}.${kind}`));
  const hash = createHash("sha256").update(bytes).digest("hex").slice(0, 16);
  const file = join(dir, `${name}.${hash}.${kind}`);
  writeFileSync(file, bytes);
  const br = brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  });
  writeFileSync(`${file}.br`, br);
  writeFileSync(`${file}.gz`, gzipSync(bytes, { level: 9 }));
  lines.push(`${kind}: ${hash}`);
  console.log(`${name}.${hash}.${kind}: ${bytes.length} bytes, ${br.length} brotli`);
}
writeFileSync(hashFile, lines.join("\n") + "\n");
