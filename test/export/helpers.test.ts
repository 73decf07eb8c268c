import { describe, expect, it } from 'vitest';
import { checkWellFormedXml } from './helpers';

describe('the XML well-formedness check used on SVGs', () => {
  it('accepts well-formed documents and rejects broken ones', () => {
    expect(checkWellFormedXml('<?xml version="1.0"?>\n<svg a="1"><g><path d="M0 0"/></g></svg>')).toEqual(['svg', 'g', 'path']);
    expect(() => checkWellFormedXml('<svg><g></svg>')).toThrow(/closes/);
    expect(() => checkWellFormedXml('<svg><path d=1/></svg>')).toThrow();
    expect(() => checkWellFormedXml('<svg></svg><svg></svg>')).toThrow(/one root/);
    expect(() => checkWellFormedXml('<svg>')).toThrow(/unclosed/);
  });
});
