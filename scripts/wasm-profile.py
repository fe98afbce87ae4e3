#!/usr/bin/env python3
"""Where the hydrate bundle's bytes go: code size per Rust crate and the largest functions.

    scripts/wasm-profile.py target/front/wasm32-unknown-unknown/wasm-release/frontend.wasm [rows, default 30]

Reads the module cargo built (before wasm-bindgen and wasm-opt strip its name section), so sizes are before
wasm-opt (which shrinks the total by about a quarter). A generic function is counted under the first crate in its
name other than core, alloc and std, usually the crate whose type it was instantiated for.
"""
import sys, re, collections

def leb(b, i):
    r = s = 0
    while True:
        x = b[i]; i += 1
        r |= (x & 0x7f) << s; s += 7
        if x < 0x80: return r, i

def name_of(b, i):
    n, i = leb(b, i); return b[i:i+n].decode('utf8', 'replace'), i + n

def demangle(s):
    if s.startswith('_ZN'):
        i=3; parts=[]
        while i < len(s) and s[i].isdigit():
            j=i
            while s[j].isdigit(): j+=1
            n=int(s[i:j]); parts.append(s[j:j+n]); i=j+n
        if parts and re.fullmatch(r'h[0-9a-f]{16}', parts[-1]): parts.pop()
        t='::'.join(parts)
        for a,b in [('$LT$','<'),('$GT$','>'),('$u20$',' '),('$RF$','&'),('$C$',','),('$BP$','*'),('$u7b$','{'),('$u7d$','}'),('$u27$',"'"),('$u5b$','['),('$u5d$',']'),('$u3b$',';'),('..','::')]:
            t=t.replace(a,b)
        return t.lstrip('_')
    if s.startswith('_R'):
        # v0 mangling: take the length-prefixed identifiers in order (enough to find the crate).
        parts, i = [], 2
        while i < len(s):
            m = re.compile(r'(\d+)_?').match(s, i)
            if not m:
                i += 1
                continue
            n, j = int(m.group(1)), m.end()
            word = s[j:j + n]
            if re.fullmatch(r'[a-z_][a-z0-9_]*', word):
                parts.append(word)
                i = j + n
            else:
                i = m.end()
        return '::'.join(parts)
    return s

def main(path, rows):
    b = open(path, 'rb').read()
    i = 8; sections = []
    while i < len(b):
        sid = b[i]; size, j = leb(b, i + 1); sections.append((sid, j, size)); i = j + size
    imports = 0; bodies = []; names = {}; data = 0; custom = collections.Counter()
    for sid, start, size in sections:
        if sid == 2:
            n, k = leb(b, start)
            for _ in range(n):
                _, k = name_of(b, k); _, k = name_of(b, k); kind = b[k]; k += 1
                if kind == 0: _, k = leb(b, k); imports += 1
                elif kind == 1: k += 1; fl, k = leb(b, k); _, k = leb(b, k); k = leb(b, k)[1] if fl & 1 else k
                elif kind == 2: fl, k = leb(b, k); _, k = leb(b, k); k = leb(b, k)[1] if fl & 1 else k
                elif kind == 3: k += 2
        elif sid == 10:
            n, k = leb(b, start)
            for _ in range(n):
                sz, k2 = leb(b, k); bodies.append(sz + (k2 - k)); k = k2 + sz
        elif sid == 11:
            data += size
        elif sid == 0:
            nm, k = name_of(b, start); custom[nm] += size
            if nm == 'name':
                end = start + size
                while k < end:
                    sub = b[k]; ssz, k = leb(b, k + 1)
                    if sub == 1:
                        n, q = leb(b, k)
                        for _ in range(n):
                            idx, q = leb(b, q); nm2, q = name_of(b, q); names[idx] = nm2
                    k += ssz
    by = collections.Counter(); top = []
    for f, sz in enumerate(bodies):
        nm = names.get(f + imports, '?')
        nm = demangle(nm)
        top.append((sz, nm))
        m = re.findall(r'(?:^|[<\s&(])_?([a-z_][a-z0-9_]*)::', nm)
        # drop_in_place::<tachys::...> and the like are the view types' cost, not core's.
        own = [c for c in m if c not in ('core', 'alloc', 'std')]
        crate = own[0] if own else (m[0] if m else nm.split('::')[0][:30])
        by[crate] += sz
    total = sum(bodies)
    print(f'code {total/1024:.1f} KB in {len(bodies)} functions; data {data/1024:.1f} KB; custom {dict(custom)}')
    for c, sz in by.most_common(rows): print(f'{sz/1024:8.1f} KB  {c}')
    print('--- largest functions')
    for sz, nm in sorted(top, reverse=True)[:rows]: print(f'{sz/1024:8.1f} KB  {nm[:150]}')

main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 30)
