import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const parentScript = fileURLToPath(new URL('./orphan-training-parent.ts', import.meta.url));

/** Whether `pid` is still a process that has not exited (a zombie has: its new parent may not reap it). */
function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('a training process whose parent is killed', () => {
  // Bound: the kernel's SIGKILL (pdeathsig) took 65–90 ms here; 5 s leaves a loaded 2-core host room.
  it.each(['pause', 'run'] as const)('goes away within seconds of a kill -9 of its parent (%s)', async (mode) => {
    // A stand-in engine with a training job (paused after its first epoch with `pause`): it prints the trainer's pid after that epoch.
    const engine = spawn(process.execPath, ['--import', 'tsx', parentScript, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    let trainer: number | undefined;
    try {
      let out = '';
      trainer = await new Promise<number>((resolve, reject) => {
        engine.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(Number(out.trim()));
        });
        engine.once('exit', (code) => reject(new Error(`the stand-in engine exited (code ${code}) before its job ran an epoch`)));
      });
      const pid = trainer;
      expect(alive(pid)).toBe(true);
      engine.kill('SIGKILL');
      await expect.poll(() => alive(pid), { timeout: 5_000, interval: 50 }).toBe(false);
    } finally {
      engine.kill('SIGKILL');
      if (trainer !== undefined && alive(trainer)) process.kill(trainer, 'SIGKILL');
    }
  }, 120_000);
});
