#!/usr/bin/env node
// What a browser bundle is made of: `node scripts/wasm-size.mjs <file.wasm> [top [crate]]` prints the code bytes per crate
// (from the function names the bundle keeps when it is built without wasm-opt), the data segments, and the rest.
// The crates' share of the raw code is what decides where size can be won; the brotli figure is the whole file's.
import { readFileSync } from "node:fs";
import { brotliCompressSync, constants } from "node:zlib";

const [file, topArg, show] = process.argv.slice(2);
if (!file) {
  console.error("usage: node scripts/wasm-size.mjs <file.wasm> [top]");
  process.exit(2);
}
const top = Number(topArg ?? 25);
const bytes = readFileSync(file);
let at = 8;
const leb = () => {
  let result = 0, shift = 0, byte;
  do {
    byte = bytes[at++];
    result += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return result;
};
const name = () => {
  const len = leb();
  const s = bytes.subarray(at, at + len).toString("utf8");
  at += len;
  return s;
};

let imports = 0;
const bodies = [];
const names = new Map();
const sections = {};
while (at < bytes.length) {
  const id = bytes[at++];
  const size = leb();
  const end = at + size;
  const label = id === 0 ? `custom:${(() => { const keep = at; const n = name(); at = keep; return n; })()}` : `section ${id}`;
  sections[label] = (sections[label] ?? 0) + size;
  if (id === 2) {
    for (let n = leb(); n > 0; n--) {
      name();
      name();
      const kind = bytes[at++];
      if (kind === 0) {
        imports++;
        leb();
      } else if (kind === 1) {
        at++;
        const flags = leb();
        leb();
        if (flags & 1) leb();
      } else if (kind === 2) {
        const flags = leb();
        leb();
        if (flags & 1) leb();
      } else if (kind === 3) {
        at += 2;
      } else {
        leb();
        leb();
      }
    }
  } else if (id === 10) {
    for (let n = leb(); n > 0; n--) {
      const len = leb();
      bodies.push(len);
      at += len;
    }
  } else if (id === 0) {
    const section = name();
    if (section === "name") {
      while (at < end) {
        const sub = bytes[at++];
        const len = leb();
        const subEnd = at + len;
        if (sub === 1) {
          for (let n = leb(); n > 0; n--) {
            const index = leb();
            names.set(index, name());
          }
        }
        at = subEnd;
      }
    }
  }
  at = end;
}

// `_ZN4core3fmt5write17h…E` (legacy mangling) or `core::fmt::write::h…` (demangled), possibly inside `<… as …>`.
function crateOf(symbol) {
  let s = symbol;
  const legacy = s.match(/^_ZN(\d+)/);
  if (legacy) {
    s = s.slice(3 + legacy[1].length, 3 + legacy[1].length + Number(legacy[1]));
    s = s.replace(/^_\$LT\$/, "").replace(/\$u20\$.*$/, "").replace(/\.\..*$/, "");
    return s.replace(/^\$.*?\$/, "") || "?";
  }
  s = s.replace(/^</, "");
  const m = s.match(/^([A-Za-z_][A-Za-z0-9_]*)::/);
  if (m) return m[1];
  if (/^(dlmalloc|__rust|__wbg|__wbindgen|rust_)/.test(s)) return s.split(/[_:]/).filter(Boolean)[0];
  return "(other)";
}

const perCrate = new Map();
bodies.forEach((len, i) => {
  const crate = crateOf(names.get(imports + i) ?? "");
  perCrate.set(crate, (perCrate.get(crate) ?? 0) + len);
});
const code = bodies.reduce((a, b) => a + b, 0);
const brotli = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
console.log(`${file}: ${bytes.length} bytes, ${brotli} brotli; ${bodies.length} functions, ${names.size} named`);
console.log(`code ${code}, data ${sections["section 11"] ?? 0}, custom sections ${Object.entries(sections)
  .filter(([k]) => k.startsWith("custom"))
  .map(([k, v]) => `${k.slice(7)} ${v}`)
  .join(", ")}`);
const rows = [...perCrate.entries()].sort((a, b) => b[1] - a[1]);
for (const [crate, len] of rows.slice(0, top)) {
  console.log(`${String(len).padStart(9)}  ${((100 * len) / code).toFixed(1).padStart(5)}%  ${crate}`);
}
if (show) {
  const fns = bodies.map((len, i) => [len, names.get(imports + i) ?? "?"]).filter(([, n]) => crateOf(n) === show);
  fns.sort((a, b) => b[0] - a[0]);
  for (const [len, n] of fns.slice(0, top)) console.log(`${String(len).padStart(9)}  ${n.slice(0, 160)}`);
  process.exit(0);
}
const rest = rows.slice(top).reduce((a, [, len]) => a + len, 0);
if (rest) console.log(`${String(rest).padStart(9)}  ${((100 * rest) / code).toFixed(1).padStart(5)}%  (${rows.length - top} more)`);
