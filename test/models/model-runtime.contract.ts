import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isModelRuntimeError } from '../../models/runtime/model-runtime-error.js';
import type { ModelRuntimeErrorCode } from '../../models/runtime/model-runtime-error.js';
import type { ModelRuntime } from '../../models/runtime/model-runtime.js';
import { mulberry32, uniform } from './mulberry32.js';

export type RuntimeContractSubject = Readonly<{
  open: () => Promise<ModelRuntime>;
  cols: number;
  outputWidths: readonly number[];
  /** Largest allowed difference between a batched and a single-row score (0: bit-identical). */
  batchTolerance: number;
}>;

export async function expectRuntimeError(p: Promise<unknown>, code: ModelRuntimeErrorCode, retryable = false): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isModelRuntimeError(err), String(err)).toBe(true);
  expect(err).toMatchObject({ code, retryable });
}

/**
 * What every `ModelRuntime` adapter promises, whatever engine and thread it uses: batching that
 * does not change scores, inputs read at call time, exact-length reads, typed refusals, ordered
 * answers to concurrent runs, and a clean end.
 */
export function modelRuntimeContract(name: string, subject: RuntimeContractSubject): void {
  const { cols, outputWidths } = subject;
  describe(`ModelRuntime contract: ${name}`, () => {
    let rt: ModelRuntime;
    beforeAll(async () => {
      rt = await subject.open();
    });
    afterAll(async () => {
      await rt.dispose();
    });

    it('describes its interface', () => {
      expect(rt.inputNames).toHaveLength(1);
      expect(rt.outputNames).toHaveLength(outputWidths.length);
      expect(rt.inputWidth).toBe(cols);
      expect(rt.outputWidths).toEqual(outputWidths);
    });

    it('scores N rows in one run as N single-row runs', async () => {
      const rows = 40;
      const x = uniform(mulberry32(3), rows * cols, -3, 3);
      const batched = await rt.run(x, rows, cols);
      const singles = await Promise.all(Array.from({ length: rows }, (_, r) => rt.run(x.subarray(r * cols, (r + 1) * cols), 1, cols)));
      outputWidths.forEach((w, o) => {
        expect(batched[o]?.length).toBe(rows * w);
        const joined = new Float32Array(rows * w);
        singles.forEach((s, r) => joined.set(s[o] as Float32Array, r * w));
        if (subject.batchTolerance === 0) expect(joined).toEqual(batched[o]);
        else joined.forEach((v, i) => expect(Math.abs(v - (batched[o]?.[i] as number))).toBeLessThanOrEqual(subject.batchTolerance));
      });
    });

    it('reads the batch before run() returns, so callers can reuse their buffer at once', async () => {
      const x = uniform(mulberry32(4), 8 * cols);
      const expected = await rt.run(x, 8, cols);
      const pending = rt.run(x, 8, cols);
      x.fill(1e6);
      expect(await pending).toEqual(expected);
    });

    it('keeps each of many same-shaped runs in flight to its own input, from one buffer the caller refills', async () => {
      const rng = mulberry32(9);
      const inputs = Array.from({ length: 20 }, () => uniform(rng, 16 * cols, -2, 2));
      const expected = [];
      for (const x of inputs) expected.push(await rt.run(x, 16, cols));
      const shared = new Float32Array(16 * cols);
      const inFlight = inputs.map((x) => {
        shared.set(x);
        return rt.run(shared, 16, cols);
      });
      shared.fill(0);
      expect(await Promise.all(inFlight)).toEqual(expected);
      // Again, now that the runtime's own buffers have been used once.
      expect(await Promise.all(inputs.map((x) => rt.run(x, 16, cols)))).toEqual(expected);
    });

    it('reads only rows × cols values, and answers zero rows with empty outputs', async () => {
      const x = uniform(mulberry32(5), 3 * cols + 7);
      expect(await rt.run(x, 3, cols)).toEqual(await rt.run(x.slice(0, 3 * cols), 3, cols));
      expect(await rt.run(new Float32Array(0), 0, cols)).toEqual(outputWidths.map(() => new Float32Array(0)));
    });

    it('refuses malformed batches with BAD_INPUT (not retryable) and keeps serving', async () => {
      await expectRuntimeError(rt.run(new Float32Array(cols + 1), 1, cols + 1), 'BAD_INPUT');
      await expectRuntimeError(rt.run(new Float32Array(cols), 2, cols), 'BAD_INPUT');
      await expectRuntimeError(rt.run(new Float32Array(cols), 1.5, cols), 'BAD_INPUT');
      await expectRuntimeError(rt.run(new Float32Array(cols), 1, 0), 'BAD_INPUT');
      expect((await rt.run(new Float32Array(cols), 1, cols))[0]?.length).toBe(outputWidths[0]);
    });

    it('answers concurrent runs correctly, finishes them before dispose, then refuses with DISPOSED', async () => {
      const own = await subject.open();
      const rng = mulberry32(8);
      const inputs = Array.from({ length: 12 }, (_, i) => uniform(rng, (i + 1) * cols));
      const expected = [];
      for (const [i, x] of inputs.entries()) expected.push(await own.run(x, i + 1, cols));
      const inFlight = inputs.map((x, i) => own.run(x, i + 1, cols));
      const disposed = own.dispose();
      expect(await Promise.all(inFlight)).toEqual(expected);
      await disposed;
      await expectRuntimeError(own.run(inputs[0] as Float32Array, 1, cols), 'DISPOSED');
      await own.dispose(); // idempotent
    });
  });
}
