/**
 * Where a test may skip: CI (.ci/run) installs everything the optional tests need (Chromium, Mesa's EGL/GLES for
 * Dawn's software WebGPU adapter, root with loop mounts), so under CI a missing piece is a broken install that
 * would otherwise pass in silence. Elsewhere (a developer's laptop) the test skips and says why.
 */
export const IN_CI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';

/**
 * `why` is the reason `what` cannot run here, or null when it can. Returns null or the reason (skip on non-null);
 * under CI it throws instead, which fails the file or the test that asked.
 */
export function skipUnlessCi(what: string, why: string | null): string | null {
  if (why === null) return null;
  if (IN_CI) throw new Error(`${what} cannot run, and CI=${process.env.CI} requires it to: ${why}`);
  console.warn(`${what} skipped: ${why}`);
  return why;
}
