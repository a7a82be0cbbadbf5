/** How `p` ended (its error, or undefined) and after how many ms; a guard fails the test (instead of hanging it) past `guardMs`. */
export async function timed(p: Promise<unknown>, guardMs: number): Promise<Readonly<{ error: unknown; ms: number }>> {
  const t0 = performance.now();
  let guard: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    guard = setTimeout(() => resolve('hung'), guardMs);
  });
  const ended = p.then(
    () => undefined,
    (e: unknown) => e,
  );
  const r = await Promise.race([ended, hung]);
  clearTimeout(guard);
  return { error: r === 'hung' ? new Error(`still waiting after ${guardMs} ms`) : r, ms: performance.now() - t0 };
}
