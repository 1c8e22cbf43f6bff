/**
 * A small reader of the report's markup (HTML with inline SVG, as report-html.ts writes it) into an element
 * tree, so tests can ask for elements, attributes and text instead of matching strings in the page. It knows
 * HTML's void elements, self-closing SVG tags, `<style>` as raw text and the entities escapeHtml writes; it
 * throws on a closing tag that does not match, so malformed output fails the test.
 */
export interface HtmlElement {
  name: string;
  attributes: Record<string, string>;
  children: HtmlNode[];
  parent?: HtmlElement;
}
export type HtmlNode = HtmlElement | string;

const VOID = new Set(['meta', 'br', 'link', 'img', 'hr', 'input']);
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", plusmn: '±' };

function decode(text: string): string {
  return text.replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (whole, name: string) => {
    if (ENTITIES[name] !== undefined) return ENTITIES[name];
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    return whole;
  });
}

export function parseHtml(markup: string): HtmlElement {
  const root: HtmlElement = { name: '#root', attributes: {}, children: [] };
  let current = root;
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+(?:="[^"]*")?)*)\s*(\/?)>|<!DOCTYPE[^>]*>/g;
  let at = 0;
  for (let match = tag.exec(markup); match !== null; match = tag.exec(markup)) {
    if (match.index > at) current.children.push(decode(markup.slice(at, match.index)));
    at = tag.lastIndex;
    if (match[2] === undefined) continue;
    const [, closing, name, attributeText = '', selfClosing] = match;
    if (closing === '/') {
      if (current.name !== name) throw new Error(`</${name}> closes <${current.name}> at ${match.index}`);
      current = current.parent!;
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const attribute of attributeText.matchAll(/([\w:-]+)(?:="([^"]*)")?/g)) {
      attributes[attribute[1]!] = decode(attribute[2] ?? '');
    }
    const element: HtmlElement = { name, attributes, children: [], parent: current };
    current.children.push(element);
    if (name === 'style') {
      const end = markup.indexOf('</style>', at);
      element.children.push(markup.slice(at, end));
      at = end + '</style>'.length;
      tag.lastIndex = at;
      continue;
    }
    if (selfClosing !== '/' && !VOID.has(name)) current = element;
  }
  if (current !== root) throw new Error(`<${current.name}> is never closed`);
  return root;
}

export function elements(node: HtmlElement, predicate: (element: HtmlElement) => boolean): HtmlElement[] {
  const found: HtmlElement[] = [];
  const walk = (element: HtmlElement): void => {
    for (const child of element.children) {
      if (typeof child === 'string') continue;
      if (predicate(child)) found.push(child);
      walk(child);
    }
  };
  walk(node);
  return found;
}

export const byName =
  (name: string) =>
  (element: HtmlElement): boolean =>
    element.name === name;

export const byClass =
  (className: string) =>
  (element: HtmlElement): boolean =>
    (element.attributes.class ?? '').split(/\s+/).includes(className);

export function text(node: HtmlNode): string {
  return typeof node === 'string' ? node : node.children.map(text).join('');
}

/** The chart with this title (`aria-label`). */
export function chart(root: HtmlElement, title: string): HtmlElement {
  const found = elements(
    root,
    (element) => element.name === 'svg' && element.attributes['aria-label'] === title,
  );
  if (found.length !== 1) throw new Error(`${found.length} charts titled "${title}"`);
  return found[0]!;
}
