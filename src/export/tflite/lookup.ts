/**
 * `record[key]` for the record's own keys only: graph fields are looked up by name, and a name
 * such as 'constructor' must not find Object.prototype's.
 */
export function lookup<V>(record: Record<string, V>, key: string): V|undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}
