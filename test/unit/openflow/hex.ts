/** Test helper: a Buffer from hex written with spaces/newlines for readability. */
export function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}
