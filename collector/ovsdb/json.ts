/** A parsed JSON value, as JSON-RPC carries it. */
export type Json = null | boolean | number | string | readonly Json[] | JsonObject;
export type JsonObject = { readonly [key: string]: Json };

export function isJsonObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short, bounded rendering of a JSON value for error messages. */
export function preview(value: Json | undefined, maxChars = 120): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
}
