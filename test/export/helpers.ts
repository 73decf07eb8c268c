import { inflateSync } from 'node:zlib';

/**
 * Minimal XML well-formedness check (no parser is installed): every start tag is closed in order,
 * attributes are quoted, nothing but whitespace/comments/declarations sits outside the root.
 * Returns the element names in document order.
 */
export function checkWellFormedXml(xml: string): string[] {
  const stack: string[] = [];
  const names: string[] = [];
  let roots = 0;
  const token = /<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<!DOCTYPE[^>]*>|<\/([A-Za-z_][\w:.-]*)\s*>|<([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/g;
  let last = 0;
  for (let m = token.exec(xml); m; m = token.exec(xml)) {
    const between = xml.slice(last, m.index);
    if (between.includes('<')) throw new Error(`malformed markup near: ${between.slice(between.indexOf('<'), between.indexOf('<') + 60)}`);
    if (stack.length === 0 && between.trim() !== '') throw new Error('text outside the root element');
    last = token.lastIndex;
    const [, close, open, , selfClose] = m;
    if (close) {
      const top = stack.pop();
      if (top !== close) throw new Error(`</${close}> closes <${top ?? 'nothing'}>`);
    } else if (open) {
      if (stack.length === 0) roots++;
      names.push(open);
      if (!selfClose) stack.push(open);
    }
  }
  const tail = xml.slice(last);
  if (tail.includes('<') || (stack.length === 0 && tail.trim() !== '')) throw new Error('malformed markup at the end');
  if (stack.length > 0) throw new Error(`unclosed <${stack.join('>, <')}>`);
  if (roots !== 1) throw new Error(`expected one root element, found ${roots}`);
  return names;
}

export function pngSize(png: Buffer): { width: number; height: number } {
  if (png.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') throw new Error('not a PNG');
  if (png.subarray(12, 16).toString('latin1') !== 'IHDR') throw new Error('IHDR is not the first chunk');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** Pixels per metre from the pHYs chunk, or null when there is none. */
export function pngPixelsPerMetre(png: Buffer): number | null {
  let at = 8;
  while (at + 8 <= png.length) {
    const len = png.readUInt32BE(at);
    const type = png.subarray(at + 4, at + 8).toString('latin1');
    if (type === 'pHYs') return png.readUInt32BE(at + 8);
    if (type === 'IDAT') return null;
    at += 12 + len;
  }
  return null;
}

/** Every stream of a PDF, inflated where it is Flate-compressed. */
export function pdfStreams(pdf: Buffer): { dict: string; data: string }[] {
  const text = pdf.toString('latin1');
  const out: { dict: string; data: string }[] = [];
  const re = /<<((?:[^<>]|<<(?:[^<>]|<<[^<>]*>>)*>>)*)>>\s*stream\r?\n/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const start = re.lastIndex;
    const end = text.indexOf('endstream', start);
    const raw = pdf.subarray(start, end);
    const dict = m[1]!;
    const data = /\/FlateDecode/.test(dict) ? inflateSync(raw).toString('latin1') : raw.toString('latin1');
    out.push({ dict, data });
  }
  return out;
}
