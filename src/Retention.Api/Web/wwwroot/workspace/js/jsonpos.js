// A JSON parser that remembers where each value is, so a validation error's JSON Pointer can be shown at its line.

export class JsonSyntaxError extends Error {
  constructor(message, offset) { super(message); this.offset = offset; }
}

/** Parses text; returns { value, spans } where spans maps each JSON Pointer to { start, end, keyStart? }. */
export function parseWithPositions(text) {
  const spans = new Map();
  let i = 0;
  const ws = () => { while (i < text.length && ' \t\r\n'.includes(text[i])) i++; };
  const fail = message => { throw new JsonSyntaxError(message, Math.min(i, text.length)); };
  const escape = s => s.replace(/~/g, '~0').replace(/\//g, '~1');

  function value(pointer, keyStart) {
    ws();
    const start = i;
    let result;
    const c = text[i];
    if (c === '{') {
      i++; result = {}; ws();
      if (text[i] === '}') i++;
      else {
        for (;;) {
          ws();
          if (text[i] !== '"') fail('expected a property name in double quotes');
          const kStart = i;
          const key = string();
          ws();
          if (text[i] !== ':') fail("expected ':' after a property name");
          i++;
          result[key] = value(`${pointer}/${escape(key)}`, kStart);
          ws();
          if (text[i] === ',') { i++; continue; }
          if (text[i] === '}') { i++; break; }
          fail("expected ',' or '}'");
        }
      }
    } else if (c === '[') {
      i++; result = []; ws();
      if (text[i] === ']') i++;
      else {
        for (let n = 0; ; n++) {
          result.push(value(`${pointer}/${n}`));
          ws();
          if (text[i] === ',') { i++; continue; }
          if (text[i] === ']') { i++; break; }
          fail("expected ',' or ']'");
        }
      }
    } else if (c === '"') result = string();
    else if (c === '-' || (c >= '0' && c <= '9')) {
      const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
      if (!m) fail('invalid number');
      i += m[0].length; result = Number(m[0]);
    } else if (text.startsWith('true', i)) { i += 4; result = true; }
    else if (text.startsWith('false', i)) { i += 5; result = false; }
    else if (text.startsWith('null', i)) { i += 4; result = null; }
    else fail(i >= text.length ? 'unexpected end of text' : `unexpected '${c}'`);
    spans.set(pointer, { start, end: i, keyStart });
    return result;
  }

  function string() {
    i++;
    let out = '';
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text[i++];
      if (c === '"') return out;
      if (c === '\\') {
        const e = text[i++];
        if (e === 'u') { const hex = text.slice(i, i + 4); if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape'); out += String.fromCharCode(parseInt(hex, 16)); i += 4; }
        else if ('"\\/bfnrt'.includes(e)) out += { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }[e] ?? e;
        else fail('bad escape');
      } else if (c < ' ') fail('control character in a string');
      else out += c;
    }
  }

  const result = value('');
  ws();
  if (i < text.length) fail('unexpected text after the JSON value');
  return { value: result, spans };
}

/** Where a pointer is in the text: its own span, or its nearest existing parent's when it names something missing. */
export function locate(spans, pointer) {
  let p = pointer ?? '';
  for (;;) {
    const span = spans.get(p);
    if (span) return { ...span, exact: p === pointer, offset: span.keyStart ?? span.start };
    if (p === '') return { start: 0, end: 0, offset: 0, exact: false };
    p = p.slice(0, p.lastIndexOf('/'));
  }
}

export function lineOf(text, offset) {
  let line = 1;
  for (let k = 0; k < offset && k < text.length; k++) if (text.charCodeAt(k) === 10) line++;
  return line;
}
