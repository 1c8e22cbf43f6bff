import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The documentation a user reads: every relative link must reach a file, and a heading when it names one. */
const root = fileURLToPath(new URL('../../', import.meta.url));
const docsDir = join(root, 'docs');
const pages = [
  'README.md',
  'SECURITY.md',
  ...readdirSync(docsDir)
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
].sort();

interface Link {
  line: number;
  target: string;
}

/** The text outside fenced code blocks, line by line (code lines blanked so line numbers stay right). */
function proseLines(text: string): string[] {
  let fenced = false;
  return text.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line.replace(/`[^`]*`/g, '');
  });
}

/** The lines of fenced code blocks and inline code spans: where commands are written. */
function codeLines(text: string): string[] {
  let fenced = false;
  const code: string[] = [];
  for (const line of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      continue;
    }
    if (fenced) code.push(line);
    else for (const span of line.matchAll(/`([^`]+)`/g)) code.push(span[1] as string);
  }
  return code;
}

function linksOf(text: string): Link[] {
  const links: Link[] = [];
  proseLines(text).forEach((line, index) => {
    for (const match of line.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      links.push({ line: index + 1, target: match[1] as string });
    }
  });
  return links;
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLinesKeepingCode(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = (heading[1] as string)
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Headings keep their inline code (GitHub keeps its text in the anchor); only fenced blocks are left out. */
function proseLinesKeepingCode(text: string): string[] {
  let fenced = false;
  return text.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line;
  });
}

function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target);
}

/** Every problem with the links of one page, in words. */
function brokenLinks(page: string): string[] {
  const path = join(root, page);
  const text = readFileSync(path, 'utf8');
  const problems: string[] = [];
  for (const { line, target } of linksOf(text)) {
    if (isExternal(target)) continue;
    const [file = '', fragment] = target.split('#', 2);
    const targetPath = file === '' ? path : resolve(dirname(path), decodeURIComponent(file));
    const shown = relative(root, targetPath);
    if (!existsSync(targetPath)) {
      problems.push(`${page}:${line}: ${target}: no such file ${shown}`);
      continue;
    }
    if (fragment === undefined || fragment === '') continue;
    if (statSync(targetPath).isDirectory() || !targetPath.endsWith('.md')) {
      problems.push(`${page}:${line}: ${target}: a #fragment needs a Markdown page`);
      continue;
    }
    if (!anchorsOf(readFileSync(targetPath, 'utf8')).has(fragment)) {
      problems.push(`${page}:${line}: ${target}: ${shown} has no heading #${fragment}`);
    }
  }
  return problems;
}

const scripts = Object.keys(
  (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
    .scripts,
);

/** The npm scripts a page's commands name: `npm run X`, `npm run -s X`, `npm start`, `npm test`. */
function scriptsNamed(text: string): string[] {
  return codeLines(text).flatMap((line) =>
    [...line.matchAll(/\bnpm\s+(?:run(?:-script)?\s+(?:-s\s+|--silent\s+)?([\w:.-]+)|(start|test)\b)/g)].map(
      (match) => (match[1] ?? match[2]) as string,
    ),
  );
}

function unknownScripts(page: string): string[] {
  return scriptsNamed(readFileSync(join(root, page), 'utf8'))
    .filter((script) => !scripts.includes(script))
    .map((script) => `${page}: npm script "${script}" is not in package.json`);
}

describe('documentation links', () => {
  it.each(pages)('%s: every relative link reaches a file and a heading', (page) => {
    expect(brokenLinks(page)).toEqual([]);
  });

  it.each(pages)('%s: every npm script its commands name exists', (page) => {
    expect(unknownScripts(page)).toEqual([]);
  });

  it('the README keeps the two commands of a fresh machine', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
  });
});

describe('the checks themselves', () => {
  it.each([
    ['a heading', '## Pools', 'pools'],
    ['inline code and punctuation', '## `pool show` and `pool list`', 'pool-show-and-pool-list'],
    [
      'a colon and a comma',
      '## Policy simulator: what a policy costs, before',
      'policy-simulator-what-a-policy-costs-before',
    ],
    ['a repeated heading', '## Tests\n\n## Tests', 'tests-1'],
  ])('anchor of %s', (_name, markdown, anchor) => {
    expect(anchorsOf(markdown).has(anchor)).toBe(true);
  });

  it('finds links outside code only', () => {
    const text = '[a](x.md) `[b](y.md)`\n```\n[c](z.md)\n```\n[d](#h "title")';
    expect(linksOf(text).map((link) => link.target)).toEqual(['x.md', '#h']);
  });

  it('finds npm scripts in code blocks and inline code', () => {
    const text =
      '```sh\nnpm run -s cli -- x\nnpm ci && npm test\n```\nsee `npm run bench` and npm run nothing';
    expect(scriptsNamed(text)).toEqual(['cli', 'test', 'bench']);
  });
});
