/** Flattens specs to dotted keys and lists, per key, each spec's value: the hyperparameter diff table. */
export function flatten(obj: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
    for (const [k, v] of Object.entries(obj)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out[prefix] = Array.isArray(obj) ? `[${obj.join(', ')}]` : String(obj);
  }
  return out;
}

export interface DiffRow {
  key: string;
  values: string[];
  differs: boolean;
}

export function specDiff(specs: unknown[]): DiffRow[] {
  const flat = specs.map((s) => flatten(s));
  const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))].filter((k) => k !== 'name').sort();
  return keys.map((key) => {
    const values = flat.map((f) => f[key] ?? '—');
    return { key, values, differs: new Set(values).size > 1 };
  });
}
