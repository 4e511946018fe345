/**
 * The few test-runner calls the shared suites make, the same under jest (cpu, wasm, webgpu) and
 * jasmine (karma, webgl): both define these globals with compatible signatures. Assertions are
 * `check*` calls that throw, so the suites depend on no runner's `expect`.
 */

type Body = () => void|Promise<void>;

interface Runner {
  describe(name: string, body: () => void): void;
  it(name: string, body: Body): void;
  beforeAll(body: Body): void;
  afterAll(body: Body): void;
}

const runner = globalThis as unknown as Runner;

export const describe = (name: string, body: () => void): void => runner.describe(name, body);
export const it = (name: string, body: Body): void => runner.it(name, body);
export const beforeAll = (body: Body): void => runner.beforeAll(body);
export const afterAll = (body: Body): void => runner.afterAll(body);

/** Throws `message` (a function, so that passing checks build no text) unless `condition`. */
export function check(condition: boolean, message: string|(() => string)): void {
  if (!condition) throw new Error(typeof message === 'string' ? message : message());
}

/** Throws when a comparison helper reported a difference (a non-null report). */
export function checkNull(report: string|null, context: string): void {
  if (report != null) throw new Error(`${context}: ${report}`);
}

/** Throws unless `actual` and `expected` are the same JSON (shapes, counts, small arrays). */
export function checkJson(actual: unknown, expected: unknown, context: string): void {
  const [a, e] = [JSON.stringify(actual), JSON.stringify(expected)];
  if (a !== e) throw new Error(`${context}: ${a} != expected ${e}`);
}
