/**
 * JSON read from files and standard input, with syntax errors located by line and column (Node's own messages
 * give a character offset, or none at all).
 */

export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
  constructor(
    /** 1-based. */
    readonly line: number,
    /** 1-based, in characters. */
    readonly column: number,
    readonly detail: string,
  ) {
    super(`line ${line}, column ${column}: ${detail}`);
  }
}

class Failure {
  constructor(
    readonly offset: number,
    readonly detail: string,
  ) {}
}

function describe(char: string | undefined): string {
  if (char === undefined) return 'end of input';
  if (char === '\n') return 'a line break';
  return `'${char}'`;
}

/** Finds where `text` stops being JSON, by a recursive descent over the grammar (RFC 8259). */
function locateError(text: string): Failure {
  let i = 0;
  const fail = (detail: string, at = i): never => {
    throw new Failure(at, detail);
  };
  const unexpected = (expected: string): never => fail(`expected ${expected}, found ${describe(text[i])}`);
  const space = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const literal = (word: string): void => {
    if (text.startsWith(word, i)) i += word.length;
    else unexpected('a value');
  };
  const string = (): void => {
    i++;
    for (;;) {
      const char = text[i];
      if (char === undefined) fail('unterminated string');
      if (char === '"') {
        i++;
        return;
      }
      if (char! < ' ') fail('control character in a string (write it as an escape such as \\n)');
      if (char === '\\') {
        const escape = text[i + 1];
        if (escape === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('bad \\u escape');
          i += 6;
          continue;
        }
        if (escape === undefined || !'"\\/bfnrt'.includes(escape)) fail(`bad escape \\${escape ?? ''}`);
        i += 2;
        continue;
      }
      i++;
    }
  };
  const number = (): void => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!match || match[0] === '-') unexpected('a value');
    i += match![0].length;
  };
  const value = (): void => {
    space();
    const char = text[i];
    if (char === '{') return object();
    if (char === '[') return array();
    if (char === '"') return string();
    if (char === 't') return literal('true');
    if (char === 'f') return literal('false');
    if (char === 'n') return literal('null');
    if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) return number();
    unexpected('a value');
  };
  const object = (): void => {
    i++;
    space();
    if (text[i] === '}') {
      i++;
      return;
    }
    for (;;) {
      space();
      if (text[i] !== '"')
        unexpected(
          text[i] === '}' ? 'a property name (no comma before })' : 'a property name in double quotes',
        );
      string();
      space();
      if (text[i] !== ':') unexpected("':' after the property name");
      i++;
      value();
      space();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return;
      }
      unexpected("',' or '}'");
    }
  };
  const array = (): void => {
    i++;
    space();
    if (text[i] === ']') {
      i++;
      return;
    }
    for (;;) {
      value();
      space();
      if (text[i] === ',') {
        i++;
        space();
        if (text[i] === ']') unexpected('a value (no comma before ])');
        continue;
      }
      if (text[i] === ']') {
        i++;
        return;
      }
      unexpected("',' or ']'");
    }
  };
  try {
    value();
    space();
    if (i < text.length) unexpected('the end of the input after the value');
  } catch (error) {
    if (error instanceof Failure) return error;
    throw error;
  }
  return new Failure(text.length, 'not valid JSON');
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** `JSON.parse`, with a syntax error thrown as a `JsonSyntaxError` naming line and column. */
export function parseJsonText(text: string): unknown {
  // A byte-order mark some editors write is not JSON, but not worth refusing a file for.
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  try {
    return JSON.parse(body) as unknown;
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    const failure = locateError(body);
    const { line, column } = lineAndColumn(body, failure.offset);
    throw new JsonSyntaxError(
      line,
      column,
      body.trim() === '' ? 'empty input, expected JSON' : failure.detail,
    );
  }
}
