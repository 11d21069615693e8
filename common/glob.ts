/** `*` and `?` globs, anchored; everything else literal. Compiled once, at config load. */
export function compileGlob(glob: string): (value: string) => boolean {
  if (!/[*?]/.test(glob)) return (value) => value === glob;
  const re = new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return (value) => re.test(value);
}
