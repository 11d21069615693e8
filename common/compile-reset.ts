/**
 * A function that puts every own field of `template`'s class back to the template's value,
 * compiled to one straight-line assignment per field: on the decode hot path this is an order
 * of magnitude faster than Object.assign from a frozen instance (which walks property
 * descriptors every call). Fields must hold primitives (number, string, boolean, bigint).
 */
export function compileReset<T extends object>(template: T): (target: T) => void {
  const lines = Object.entries(template).map(([key, value]) => {
    if (!/^[A-Za-z_$][\w$]*$/.test(key)) throw new Error(`compileReset: unsupported field name ${key}`);
    switch (typeof value) {
      case 'number':
      case 'boolean':
        return `t.${key} = ${String(value)};`;
      case 'bigint':
        return `t.${key} = ${value}n;`;
      case 'string':
        return `t.${key} = ${JSON.stringify(value)};`;
      default:
        throw new Error(`compileReset: field ${key} is not a primitive`);
    }
  });
  return new Function('t', lines.join('\n')) as (target: T) => void;
}
